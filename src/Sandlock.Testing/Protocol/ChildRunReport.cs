namespace Sandlock.Testing.Protocol;

/// <summary>What the child host writes as its result (<see cref="ProtocolCodec.ResultFileName"/>, or a message on a shared child's socket) before it exits.</summary>
/// <param name="HostError">Set when the host could not run the test at all (an exception outside the test).</param>
public sealed record ChildRunReport(IReadOnlyList<ChildTestResult> Tests, string? HostError);
