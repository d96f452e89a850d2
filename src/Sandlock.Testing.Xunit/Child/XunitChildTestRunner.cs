using System.Reflection;
using Sandlock.Testing.Child;
using Sandlock.Testing.Protocol;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit.Child;

/// <summary>
/// In the child: xunit's own XunitTestFramework (not the sandboxing one) deserializes the parent's test case and
/// runs it, so constructors, fixtures, theories, output helpers and skips behave as without the sandbox. A shared
/// child keeps the framework and its executor between tests; each test is a run of its own.
/// </summary>
public sealed class XunitChildTestRunner : IChildTestRunner
{
    private readonly DiagnosticsIgnored _diagnostics = new();
    private XunitTestFramework? _framework;
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

    /// <summary>Loads the test assembly into xunit's executor; its types are only loaded, none of its code runs.</summary>
    public void Prepare(string assemblyPath) => ExecutorFor(assemblyPath);

    private ITestFrameworkExecutor ExecutorFor(string assemblyPath)
    {
        if (_assemblyPath != assemblyPath || _executor is null)
        {
            _executor?.Dispose();
            _framework?.Dispose();
            _framework = new XunitTestFramework(_diagnostics);
            _executor = _framework.GetExecutor(AssemblyName.GetAssemblyName(assemblyPath));
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
