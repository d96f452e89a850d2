namespace Sandlock;

/// <summary>A session call that cannot be served: the session has ended, is suspended, or the backend cannot do it.</summary>
public sealed class SandboxSessionException(string message) : SandlockException(message);
