using Sandlock.Testing.Protocol;
using Xunit.Abstractions;

namespace Sandlock.Testing.Xunit.Child;

/// <summary>Collects the results xunit reports in the child until the assembly finishes.</summary>
internal sealed class ChildResultSink : IMessageSink
{
    private readonly List<ChildTestResult> _results = [];
    private readonly List<string> _errors = [];
    private readonly TaskCompletionSource<IReadOnlyList<ChildTestResult>> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<IReadOnlyList<ChildTestResult>> Completion => _completion.Task;

    public bool OnMessage(IMessageSinkMessage message)
    {
        // Reported synchronously on the test's thread, before its class is made.
        if (message is ITestStarting) Testing.Child.ChildTestStart.Announce();
        lock (_results)
        {
            switch (message)
            {
                case ITestPassed passed:
                    _results.Add(new ChildTestResult(passed.Test.DisplayName, TestOutcome.Passed, null, [], passed.Output, (double)passed.ExecutionTime));
                    break;
                case ITestFailed failed:
                    _results.Add(new ChildTestResult(failed.Test.DisplayName, TestOutcome.Failed, null, Failures(failed), failed.Output, (double)failed.ExecutionTime));
                    break;
                case ITestSkipped skipped:
                    _results.Add(new ChildTestResult(skipped.Test.DisplayName, TestOutcome.Skipped, skipped.Reason, [], skipped.Output, 0));
                    break;
                case IErrorMessage error:
                    _errors.Add(Describe(error));
                    break;
                case ITestAssemblyFinished:
                    if (_results.Count == 0 && _errors.Count > 0) _completion.TrySetException(new InvalidOperationException(string.Join("\n", _errors)));
                    else _completion.TrySetResult([.. _results]);
                    break;
            }
        }
        return true;
    }

    private static List<TestFailureDetail> Failures(IFailureInformation failure) =>
        [.. failure.ExceptionTypes.Select((type, i) => new TestFailureDetail(
            type ?? "", failure.Messages[i] ?? "", failure.StackTraces[i], failure.ExceptionParentIndices[i]))];

    private static string Describe(IFailureInformation failure) =>
        string.Join("\n", failure.ExceptionTypes.Select((type, i) => $"{type}: {failure.Messages[i]}\n{failure.StackTraces[i]}"));
}
