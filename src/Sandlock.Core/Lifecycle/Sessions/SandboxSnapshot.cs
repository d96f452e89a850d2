namespace Sandlock;

/// <summary>A captured session, for a backend that can restore one.</summary>
public sealed record SandboxSnapshot(string SessionId, string Backend, DateTimeOffset Taken);
