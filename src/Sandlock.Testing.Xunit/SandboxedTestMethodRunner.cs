using Sandlock.Testing.Protocol;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

/// <summary>
/// Sends a sandboxed test case to a child (or takes the results of the one its class runner started in a shared
/// child) and republishes the child's results as this runner's messages.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SandboxedTestMethodRunner(ITestMethod testMethod, IReflectionTypeInfo @class, IReflectionMethodInfo method,
    IEnumerable<IXunitTestCase> testCases, IMessageSink diagnosticMessageSink, IMessageBus messageBus, ExceptionAggregator aggregator,
    CancellationTokenSource cancellationTokenSource, object[] constructorArguments, Sharing.SharingScope classScope, Sharing.SharingScope assemblyScope,
    IReadOnlyDictionary<IXunitTestCase, Task<IReadOnlyList<ChildTestResult>>> started)
    : XunitTestMethodRunner(testMethod, @class, method, testCases, diagnosticMessageSink, messageBus, aggregator, cancellationTokenSource, constructorArguments)
{
    protected override Task<RunSummary> RunTestCaseAsync(IXunitTestCase testCase) =>
        SandboxedTestCases.SettingsOf(testCase) is { } settings ? RunInChildAsync(testCase, settings) : base.RunTestCaseAsync(testCase);

    private async Task<RunSummary> RunInChildAsync(IXunitTestCase testCase, Policy.SandboxSettings settings)
    {
        var summary = new RunSummary();
        if (!MessageBus.QueueMessage(new TestCaseStarting(testCase))) CancellationTokenSource.Cancel();
        var launch = SandboxedTestCases.LaunchOf(testCase, settings, classScope, assemblyScope);
        IReadOnlyList<ChildTestResult> results;
        try
        {
            results = started.TryGetValue(testCase, out var running) ? await running : await SandboxedTestRunner.RunAsync(launch, CancellationTokenSource.Token);
        }
        catch (OperationCanceledException)
        {
            results = [ChildTestResult.Failed(null, typeof(OperationCanceledException).FullName!, "the test run was cancelled", null, "", TimeSpan.Zero)];
        }
        foreach (var result in results) Publish(testCase, result, summary);
        if (!MessageBus.QueueMessage(new TestCaseFinished(testCase, summary.Time, summary.Total, summary.Failed, summary.Skipped)))
            CancellationTokenSource.Cancel();
        return summary;
    }

    private void Publish(IXunitTestCase testCase, ChildTestResult result, RunSummary summary)
    {
        var test = new XunitTest(testCase, result.DisplayName ?? testCase.DisplayName);
        var time = (decimal)result.DurationSeconds;
        summary.Total++;
        summary.Time += time;
        IMessageSinkMessage outcome = result.Outcome switch
        {
            TestOutcome.Passed => new TestPassed(test, time, result.Output),
            TestOutcome.Skipped or TestOutcome.Inconclusive => new TestSkipped(test, result.Reason ?? ""),
            _ => new TestFailed(test, time, result.Output,
                [.. result.Failures.Select(f => f.ExceptionType)], [.. result.Failures.Select(f => f.Message)],
                [.. result.Failures.Select(f => f.StackTrace ?? "")], [.. result.Failures.Select(f => f.ParentIndex)]),
        };
        if (outcome is TestSkipped) summary.Skipped++;
        if (outcome is TestFailed) summary.Failed++;
        var delivered = MessageBus.QueueMessage(new TestStarting(test))
            & MessageBus.QueueMessage(outcome)
            & MessageBus.QueueMessage(new TestFinished(test, time, result.Output));
        if (!delivered) CancellationTokenSource.Cancel();
    }
}
