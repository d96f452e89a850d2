using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SandboxedTestFrameworkExecutor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
    : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
{
    // async void is the shape xunit v2 gives this method; the assembly runner reports its own failures as messages.
    protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
    {
        await using var pool = new Sharing.SharedChildPool();
        using var assemblyRunner = new SandboxedTestAssemblyRunner(TestAssembly, testCases, DiagnosticMessageSink, executionMessageSink, executionOptions,
            new Sharing.SharingScope(pool, "assembly"));
        await assemblyRunner.RunAsync();
    }
}
