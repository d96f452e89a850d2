using Sandlock.Testing.Protocol;
using Xunit.Abstractions;

namespace Sandlock.Testing.Xunit.Child;

/// <summary>xunit's result messages in the child as the protocol's results.</summary>
internal static class XunitResults
{
    /// <summary>The result a message reports, or null when it reports none.</summary>
    public static ChildTestResult? Of(IMessageSinkMessage message) => message switch
    {
        ITestPassed passed => new ChildTestResult(passed.Test.DisplayName, TestOutcome.Passed, null, [], passed.Output, (double)passed.ExecutionTime),
        ITestFailed failed => new ChildTestResult(failed.Test.DisplayName, TestOutcome.Failed, null, Failures(failed), failed.Output, (double)failed.ExecutionTime),
        ITestSkipped skipped => new ChildTestResult(skipped.Test.DisplayName, TestOutcome.Skipped, skipped.Reason, [], skipped.Output, 0),
        _ => null,
    };

    public static string Describe(IFailureInformation failure) =>
        string.Join("\n", failure.ExceptionTypes.Select((type, i) => $"{type}: {failure.Messages[i]}\n{failure.StackTraces[i]}"));

    private static List<TestFailureDetail> Failures(IFailureInformation failure) =>
        [.. failure.ExceptionTypes.Select((type, i) => new TestFailureDetail(
            type ?? "", failure.Messages[i] ?? "", failure.StackTraces[i], failure.ExceptionParentIndices[i]))];
}
