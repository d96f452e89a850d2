namespace Sandlock.Testing.Protocol;

/// <summary>What the child host writes as <c>result.json</c> before it exits.</summary>
/// <param name="HostError">Set when the host could not run the test at all (an exception outside the test).</param>
public sealed record ChildRunReport(IReadOnlyList<ChildTestResult> Tests, string? HostError);
