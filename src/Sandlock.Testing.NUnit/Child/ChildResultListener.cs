using NUnit.Framework.Interfaces;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.NUnit.Child;

/// <summary>Keeps the results of test cases (not suites) that NUnit reports in the child.</summary>
internal sealed class ChildResultListener : ITestListener
{
    private readonly List<ChildTestResult> _results = [];

    public IReadOnlyList<ChildTestResult> Results
    {
        get { lock (_results) return [.. _results]; }
    }

    public void TestFinished(ITestResult result)
    {
        if (result.Test.IsSuite) return;
        lock (_results) _results.Add(Convert(result));
    }

    internal static ChildTestResult Convert(ITestResult result)
    {
        var state = result.ResultState;
        var outcome = state.Status switch
        {
            TestStatus.Passed or TestStatus.Warning => TestOutcome.Passed,
            TestStatus.Skipped => TestOutcome.Skipped,
            TestStatus.Inconclusive => TestOutcome.Inconclusive,
            _ => TestOutcome.Failed,
        };
        IReadOnlyList<TestFailureDetail> failures = outcome == TestOutcome.Failed
            ? [new TestFailureDetail($"NUnit.{state}", result.Message, result.StackTrace)]
            : [];
        var reason = outcome is TestOutcome.Skipped or TestOutcome.Inconclusive ? result.Message : null;
        return new ChildTestResult(result.Test.FullName, outcome, reason, failures, result.Output, result.Duration)
        {
            FrameworkOutcome = ChildResultState.Format(state),
        };
    }

    // Not the place to announce a test's start: NUnit may deliver this on its event thread after the test body ran, or
    // while the next test's body runs. SandboxedTestCommand announces on the test's own thread.
    public void TestStarted(ITest test) { }

    public void TestOutput(TestOutput output) { }

    public void SendMessage(TestMessage message) { }
}
