using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SandboxedTestAssemblyRunner(ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases,
    IMessageSink diagnosticMessageSink, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions,
    Sharing.SharingScope assemblyScope)
    : XunitTestAssemblyRunner(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
{
    // Set when the run's whole order of tests in children of their own was given at its start: the classes then give none.
    private bool _runOrderGiven;

    protected override Task<RunSummary> RunTestCollectionsAsync(IMessageBus messageBus, CancellationTokenSource cancellationTokenSource)
    {
        // Collections one after the other: a class's first test's child may then start while the class before runs.
        if (RunsCollectionsOneByOne())
        {
            try { _runOrderGiven = SandboxedTestRunOrder.Expect(OrderTestCollections(), TestCaseOrderer, assemblyScope); }
            // What fails in guessing the order fails again in the run, which reports it; the classes then give their own.
            catch (Exception) { _runOrderGiven = false; }
        }
        return base.RunTestCollectionsAsync(messageBus, cancellationTokenSource);
    }

    /// <summary>As <see cref="XunitTestAssemblyRunner"/> decides it: the assembly's collection behaviour, unless the run's options say otherwise.</summary>
    private bool RunsCollectionsOneByOne()
    {
        var behavior = TestAssembly.Assembly.GetCustomAttributes(typeof(CollectionBehaviorAttribute)).SingleOrDefault();
        var disabled = behavior?.GetNamedArgument<bool>(nameof(CollectionBehaviorAttribute.DisableTestParallelization)) ?? false;
        return ExecutionOptions.DisableParallelization() ?? disabled;
    }

    protected override Task<RunSummary> RunTestCollectionAsync(IMessageBus messageBus, ITestCollection testCollection,
        IEnumerable<IXunitTestCase> testCases, CancellationTokenSource cancellationTokenSource) =>
        new SandboxedTestCollectionRunner(testCollection, testCases, DiagnosticMessageSink, messageBus, TestCaseOrderer,
            new ExceptionAggregator(Aggregator), cancellationTokenSource, assemblyScope, _runOrderGiven).RunAsync();

    // Before the finished message: the test host may exit as soon as it has it, leaving the children's folders behind.
    protected override async Task BeforeTestAssemblyFinishedAsync()
    {
        await assemblyScope.Pool.DisposeAsync();
        await base.BeforeTestAssemblyFinishedAsync();
    }
}
