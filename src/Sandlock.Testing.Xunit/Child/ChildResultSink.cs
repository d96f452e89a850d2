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
            if (XunitResults.Of(message) is { } result) _results.Add(result);
            else if (message is IErrorMessage error) _errors.Add(XunitResults.Describe(error));
            else if (message is ITestAssemblyFinished)
            {
                if (_results.Count == 0 && _errors.Count > 0) _completion.TrySetException(new InvalidOperationException(string.Join("\n", _errors)));
                else _completion.TrySetResult([.. _results]);
            }
        }
        return true;
    }
}
