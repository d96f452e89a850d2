namespace Sandlock;

/// <summary>
/// The root of every error Sandlock reports to a caller: a policy that cannot be used (<see
/// cref="PolicyException"/>), a sandbox that cannot start (<see cref="SandboxSetupException"/>),
/// a sandboxed test that cannot run. One catch takes them all.
/// </summary>
public abstract class SandlockException : Exception
{
    protected SandlockException(string message) : base(message) { }

    protected SandlockException(string message, Exception? inner) : base(message, inner) { }
}
