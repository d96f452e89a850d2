using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

/// <summary>
/// For a class whose every test is sandboxed, class fixtures and the constructor belong to the children only:
/// the parent neither creates fixtures nor checks constructor arguments. The tests that share a child are handed
/// to it all at once, in the order the class runs them, so the child goes from one to the next without waiting for
/// this process; each test's runner then reports the results it has.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SandboxedTestClassRunner(ITestClass testClass, IReflectionTypeInfo @class, IEnumerable<IXunitTestCase> testCases,
    IMessageSink diagnosticMessageSink, IMessageBus messageBus, ITestCaseOrderer testCaseOrderer, ExceptionAggregator aggregator,
    CancellationTokenSource cancellationTokenSource, IDictionary<Type, object> collectionFixtureMappings, Sharing.SharingScope assemblyScope,
    bool runOrderGiven)
    : XunitTestClassRunner(testClass, @class, testCases, diagnosticMessageSink, messageBus, testCaseOrderer, aggregator, cancellationTokenSource, collectionFixtureMappings)
{
    // The children of Isolation = Class live as long as this class's run.
    private readonly Sharing.SharingScope _classScope = new(new Sharing.SharedChildPool(), "class");
    private Dictionary<IXunitTestCase, Task<IReadOnlyList<Protocol.ChildTestResult>>> _started = [];

    private bool AllSandboxed => TestCases.All(SandboxedTestCases.IsSandboxed);

    protected override Task AfterTestClassStartingAsync()
    {
        if (!AllSandboxed) return base.AfterTestClassStartingAsync();
        // Of what the base does here, only the class's own orderer is the parent's: the tests are handed to the children in its order.
        if (SandboxedTestRunOrder.ClassOrderer(Class, DiagnosticMessageSink, TestClass.Class.Name) is { } orderer) TestCaseOrderer = orderer;
        return Task.CompletedTask;
    }

    protected override Task BeforeTestClassFinishedAsync()
    {
        // The child exits while the next class runs (about 13 ms a class, on the class's lane otherwise); the
        // assembly's run ends only once it has.
        assemblyScope.Pool.EndAfterwards(_classScope.Pool);
        return base.BeforeTestClassFinishedAsync();
    }

    protected override object[] CreateTestClassConstructorArguments() => AllSandboxed ? [] : base.CreateTestClassConstructorArguments();

    protected override async Task<RunSummary> RunTestMethodsAsync()
    {
        _started = StartShared();
        try
        {
            return await base.RunTestMethodsAsync();
        }
        finally
        {
            // A method runner that stopped early (cancellation) leaves results nobody awaits: the children finish first.
            foreach (var running in _started.Values)
            {
                try { await running; }
                catch (OperationCanceledException) { /* reported by the runner that awaited it, or by none on cancellation */ }
            }
        }
    }

    /// <summary>The sandboxed tests that share a child, started in the order the base runner will run them.</summary>
    private Dictionary<IXunitTestCase, Task<IReadOnlyList<Protocol.ChildTestResult>>> StartShared()
    {
        var cases = new List<IXunitTestCase>();
        var launches = new List<SandboxedTestLaunch>();
        foreach (var testCase in SandboxedTestRunOrder.InRunOrder(TestCases, TestCaseOrderer))
        {
            if (SandboxedTestCases.SettingsOf(testCase) is not { } settings) continue;
            cases.Add(testCase);
            launches.Add(SandboxedTestCases.LaunchOf(testCase, settings, _classScope, assemblyScope));
        }
        var tasks = SandboxedTestRunner.StartInOrder(launches, CancellationTokenSource.Token);
        if (!runOrderGiven) SandboxedTestRunner.ExpectOwnChildren(launches);
        var started = new Dictionary<IXunitTestCase, Task<IReadOnlyList<Protocol.ChildTestResult>>>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < cases.Count; i++)
            if (tasks[i] is { } task) started.TryAdd(cases[i], task);
        return started;
    }

    protected override Task<RunSummary> RunTestMethodAsync(ITestMethod testMethod, IReflectionMethodInfo method, IEnumerable<IXunitTestCase> testCases, object[] constructorArguments) =>
        new SandboxedTestMethodRunner(testMethod, Class, method, testCases, DiagnosticMessageSink, MessageBus,
            new ExceptionAggregator(Aggregator), CancellationTokenSource, constructorArguments, _classScope, assemblyScope, _started).RunAsync();
}
