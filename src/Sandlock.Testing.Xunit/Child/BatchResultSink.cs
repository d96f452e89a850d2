using Sandlock.Testing.Child;
using Sandlock.Testing.Protocol;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit.Child;

/// <summary>
/// The messages of one run of a batch in a shared child: tells the host as each test case starts (its first test,
/// before the test class is made) and ends, with the results reported in between, in the batch's order.
/// </summary>
internal sealed class BatchResultSink(IReadOnlyList<IXunitTestCase> cases, IChildTestJobs jobs) : IMessageSink
{
    private readonly GivenOrder _order = new(cases);
    private readonly Lock _gate = new();
    private readonly List<ChildTestResult> _results = [];
    private readonly List<string> _errors = [];
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _current = -1;
    private bool _currentStarted;
    private int _next;

    /// <summary>Done when the run finished, every case of the batch reported.</summary>
    public Task Completion => _completion.Task;

    public bool OnMessage(IMessageSinkMessage message)
    {
        lock (_gate)
        {
            switch (message)
            {
                case ITestCaseStarting starting:
                    Begin(_order.IndexOf(starting.TestCase));
                    break;
                // On the test's thread, synchronously (the child's runs report synchronously): false keeps the test from running.
                case ITestStarting when _current >= 0 && !_currentStarted:
                    _currentStarted = true;
                    return jobs.Starting(_current);
                case ITestCaseFinished finished when _current >= 0 && _order.IndexOf(finished.TestCase) == _current:
                    jobs.Finished(_current, Report());
                    _next = _current + 1;
                    _current = -1;
                    break;
                case IErrorMessage error:
                    _errors.Add(XunitResults.Describe(error));
                    break;
                case ITestAssemblyFinished:
                    // What the run never reached reports the run's errors, or that it was not run.
                    for (; _next < cases.Count; _next++)
                        jobs.Finished(_next, new ChildRunReport([], _errors.Count > 0 ? string.Join("\n", _errors) : "xunit's run of the batch ended before it"));
                    _completion.TrySetResult();
                    break;
                default:
                    if (_current >= 0 && XunitResults.Of(message) is { } result) _results.Add(result);
                    break;
            }
            return true;
        }
    }

    private void Begin(int index)
    {
        _current = -1;
        // Not one of the batch, or one already passed: nothing of it is reported (the order makes neither happen).
        if (index < _next) return;
        // Cases the run went past are reported as not run, each taking its job, so that the next ones keep theirs.
        for (; _next < index; _next++) jobs.Finished(_next, new ChildRunReport([], "xunit did not run it in the batch's order"));
        _current = index;
        _currentStarted = false;
        _results.Clear();
        _errors.Clear();
    }

    private ChildRunReport Report() =>
        _results.Count == 0 && _errors.Count > 0 ? new ChildRunReport([], string.Join("\n", _errors)) : new ChildRunReport([.. _results], null);
}
