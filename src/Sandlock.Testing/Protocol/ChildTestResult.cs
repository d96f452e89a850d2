namespace Sandlock.Testing.Protocol;

/// <summary>
/// The result of one test as the framework reported it in the child. A test case may yield several (an xunit
/// theory whose rows were not enumerated at discovery).
/// </summary>
/// <param name="DisplayName">The framework's display name in the child; null for a result made up by the parent.</param>
/// <param name="Reason">Skip or inconclusive reason.</param>
/// <param name="Failures">For a failure: the exception and its inner exceptions, outermost first.</param>
public sealed record ChildTestResult(
    string? DisplayName,
    TestOutcome Outcome,
    string? Reason,
    IReadOnlyList<TestFailureDetail> Failures,
    string Output,
    double DurationSeconds)
{
    /// <summary>The framework's own name for the outcome when it has finer ones (NUnit: Failure, Error, Cancelled...).</summary>
    public string? FrameworkOutcome { get; init; }

    public TimeSpan Duration => TimeSpan.FromSeconds(DurationSeconds);

    public TestFailureDetail? PrimaryFailure => Failures.Count > 0 ? Failures[0] : null;

    public static ChildTestResult Failed(string? displayName, string exceptionType, string message, string? stackTrace, string output, TimeSpan duration) =>
        new(displayName, TestOutcome.Failed, null, [new TestFailureDetail(exceptionType, message, stackTrace)], output, duration.TotalSeconds);
}
