namespace Sandlock;

/// <summary>
/// A checkpoint or restore that cannot be done: the process has what this implementation cannot carry over (a second
/// thread, a socket, a child process, a signal handler), the kernel or ptrace refuses, or the folder is not a usable
/// checkpoint. The message names what made it impossible; nothing is left half-made.
/// </summary>
public sealed class SandboxCheckpointException(string message) : SandlockException(message);
