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

    public async Task<IReadOnlyList<ChildTestResult>> RunAsync(ChildTestRequest request)
    {
        var executor = ExecutorFor(request.AssemblyPath);
        var sink = new ChildResultSink();
        var testCase = executor.Deserialize(request.TestId);
        executor.RunTests([testCase], sink, new ChildExecutionOptions());
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
        executor.RunTests(cases, sink, new ChildExecutionOptions());
        await sink.Completion.ConfigureAwait(false);
        return true;
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
