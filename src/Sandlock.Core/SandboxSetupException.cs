using Sandlock.Confinement;
namespace Sandlock;

/// <summary>Why a sandbox could not start; the CLI maps each kind to its exit status (125, 126, 127).</summary>
public enum SetupFailure
{
    /// <summary>The sandbox itself could not be set up (kernel feature missing, resource exhausted): 125.</summary>
    Sandbox,
    /// <summary>The command exists but could not be executed (permission, format): 126.</summary>
    CommandNotExecutable,
    /// <summary>The command was not found: 127.</summary>
    CommandNotFound,
}

public sealed class SandboxSetupException(SetupFailure failure, string message) : SandlockException(message)
{
    public SetupFailure Failure { get; } = failure;
}
