using Sandlock.Testing.Child;
using Sandlock.Testing.Protocol;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit.Child;

/// <summary>
/// In the child: xunit's own framework (not the sandboxing one) deserializes the parent's test cases and runs them,
/// so constructors, fixtures, theories, output helpers and skips behave as without the sandbox. A shared child keeps
/// the framework and its executor between tests and runs each batch the parent sends as one run, in the parent's
/// order: a class's fixtures are made once for the tests of the batch, as in a run without the sandbox.
/// </summary>
public sealed class XunitChildTestRunner : IChildTestRunner
{
    private readonly DiagnosticsIgnored _diagnostics = new();
    private ChildTestFramework? _framework;
    private ITestFrameworkExecutor? _executor;
    private string? _assemblyPath;
    private MaxConcurrencySyncContext? _maxConcurrency;

    public async Task<IReadOnlyList<ChildTestResult>> RunAsync(ChildTestRequest request)
    {
        var executor = ExecutorFor(request.AssemblyPath);
        var sink = new ChildResultSink();
        var testCase = executor.Deserialize(request.TestId);
        await StartAsTheParentRuns(request.FrameworkSettings, () => executor.RunTests([testCase], sink, new ChildExecutionOptions())).ConfigureAwait(false);
        return await sink.Completion.ConfigureAwait(false);
    }

    public async Task<bool> TryRunInOrderAsync(IReadOnlyList<ChildTestRequest> requests, IChildTestJobs jobs)
    {
        var executor = ExecutorFor(requests[0].AssemblyPath);
        var cases = new List<IXunitTestCase>(requests.Count);
        foreach (var request in requests)
        {
            if (executor.Deserialize(request.TestId) is not IXunitTestCase testCase) return false;
            cases.Add(testCase);
        }
        var sink = new BatchResultSink(cases, jobs);
        await StartAsTheParentRuns(requests[0].FrameworkSettings, () => executor.RunTests(cases, sink, new ChildExecutionOptions())).ConfigureAwait(false);
        await sink.Completion.ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Starts a run where the parent's runner runs its tests (<see cref="RunContext"/>): on a thread of a
    /// MaxConcurrencySyncContext of the parent's level, kept for the child's life as the parent keeps its own for the
    /// run, or on a thread-pool thread. Completes once the run has started, or with what starting it threw.
    /// </summary>
    private Task StartAsTheParentRuns(IReadOnlyDictionary<string, string> settings, Action run)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Start(object? state)
        {
            try
            {
                run();
                started.SetResult();
            }
            catch (Exception e)
            {
                started.SetException(e);
            }
        }
        if (RunContext.MaxConcurrencyIn(settings) is { } level) (_maxConcurrency ??= new MaxConcurrencySyncContext(level)).Post(Start, null);
        else ThreadPool.QueueUserWorkItem(Start);
        return started.Task;
    }

    /// <summary>Loads the test assembly into xunit's executor; its types are only loaded, none of its code runs.</summary>
    public void Prepare(string assemblyPath) => ExecutorFor(assemblyPath);

    private ITestFrameworkExecutor ExecutorFor(string assemblyPath)
    {
        if (_assemblyPath != assemblyPath || _executor is null)
        {
            _executor?.Dispose();
            _framework?.Dispose();
            _framework = new ChildTestFramework(_diagnostics);
            _executor = _framework.GetExecutor(TestAssemblyName.Of(assemblyPath));
            _assemblyPath = assemblyPath;
        }
        return _executor;
    }

    // The framework's diagnostics (discovery notes) are not results; errors of a run reach the run's own sink.
    private sealed class DiagnosticsIgnored : IMessageSink
    {
        public bool OnMessage(IMessageSinkMessage message) => true;
    }
}
