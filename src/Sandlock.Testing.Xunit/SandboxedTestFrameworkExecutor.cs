using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SandboxedTestFrameworkExecutor : XunitTestFrameworkExecutor
{
    private const string AssemblyScopeName = "assembly";

    // The next run's pool. Made with the executor, so that the assembly's shared child (or its first classes' children)
    // boots while the test host still discovers the tests (the runner creates the executor before it discovers), on
    // CPUs that are otherwise idle.
    private Sharing.SharedChildPool? _nextPool = new();

    public SandboxedTestFrameworkExecutor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
        : base(assemblyName, sourceInformationProvider, diagnosticMessageSink)
    {
        if (TestAssembly.Assembly is IReflectionAssemblyInfo { Assembly: var assembly }
            && SandboxedTestCases.AssemblyLaunchOf(assembly, new Sharing.SharingScope(_nextPool, AssemblyScopeName)) is { } launch)
            SandboxedTestRunner.StartAhead(launch);
        DisposalTracker.Add(new UnusedPoolEnd(this));
    }

    // async void is the shape xunit v2 gives this method; the assembly runner reports its own failures as messages.
    protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
    {
        await using var pool = Interlocked.Exchange(ref _nextPool, null) ?? new Sharing.SharedChildPool();
        var scope = new Sharing.SharingScope(pool, AssemblyScopeName);
        var cases = testCases as IReadOnlyCollection<IXunitTestCase> ?? [.. testCases];
        // The first test's group, when the assembly's own policy is not it: its children boot while xunit sets the run up.
        var shared = cases.Select(c => (Case: c, Settings: SandboxedTestCases.SettingsOf(c)))
            .Where(c => c.Settings is { EffectiveIsolation: SandboxIsolation.Assembly or SandboxIsolation.Class }).ToList();
        if (shared.Count > 0) SandboxedTestRunner.StartAhead(SandboxedTestCases.LaunchOf(shared[0].Case, shared[0].Settings!, null, scope));
        SandboxedTestRunner.ExpectClasses(shared.Where(c => c.Settings!.EffectiveIsolation == SandboxIsolation.Class)
            .DistinctBy(c => (c.Case.TestMethod.TestClass.Class.Name, c.Settings!.PolicyKey))
            .Select(c => (c.Case.TestMethod.TestClass.Class.Name, SandboxedTestCases.GroupLaunchOf(c.Case, c.Settings!, scope))));
        using var assemblyRunner = new SandboxedTestAssemblyRunner(TestAssembly, cases, DiagnosticMessageSink, executionMessageSink, executionOptions, scope);
        await assemblyRunner.RunAsync();
    }

    // Discovery alone (an IDE, --list-tests) never runs a test: the child started with the executor goes unused.
    private sealed class UnusedPoolEnd(SandboxedTestFrameworkExecutor executor) : IDisposable
    {
        public void Dispose() => Interlocked.Exchange(ref executor._nextPool, null)?.EndNow();
    }
}
