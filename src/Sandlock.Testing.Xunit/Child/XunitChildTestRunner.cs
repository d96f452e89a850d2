using System.Reflection;
using Sandlock.Testing.Child;
using Sandlock.Testing.Protocol;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit.Child;

/// <summary>
/// In the child: xunit's own XunitTestFramework (not the sandboxing one) deserializes the parent's test case and
/// runs it, so constructors, fixtures, theories, output helpers and skips behave as without the sandbox.
/// </summary>
public sealed class XunitChildTestRunner : IChildTestRunner
{
    public async Task<IReadOnlyList<ChildTestResult>> RunAsync(ChildTestRequest request)
    {
        var sink = new ChildResultSink();
        using var framework = new XunitTestFramework(sink);
        using var executor = framework.GetExecutor(AssemblyName.GetAssemblyName(request.AssemblyPath));
        var testCase = executor.Deserialize(request.TestId);
        executor.RunTests([testCase], sink, new ChildExecutionOptions());
        return await sink.Completion.ConfigureAwait(false);
    }
}
