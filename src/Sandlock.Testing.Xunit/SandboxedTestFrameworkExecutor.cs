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
        var scope = new Sharing.SharingScope(pool, "assembly");
        var cases = testCases as IReadOnlyCollection<IXunitTestCase> ?? [.. testCases];
        // The assembly's shared child starts now and boots while xunit sets the run up and orders the collections.
        foreach (var testCase in cases)
        {
            if (SandboxedTestCases.SettingsOf(testCase) is not { EffectiveIsolation: SandboxIsolation.Assembly } settings) continue;
            SandboxedTestRunner.StartAhead(SandboxedTestCases.LaunchOf(testCase, settings, null, scope));
            break;
        }
        using var assemblyRunner = new SandboxedTestAssemblyRunner(TestAssembly, cases, DiagnosticMessageSink, executionMessageSink, executionOptions, scope);
        await assemblyRunner.RunAsync();
    }
}
