namespace Sandlock.Testing;

/// <summary>
/// The type named in a failed result when the sandboxed child could not report one itself: a crash, timeout,
/// unexpected exit, a policy that could not be built, or a sandbox that could not be set up.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SandboxedTestException(string message) : SandlockException(message);
