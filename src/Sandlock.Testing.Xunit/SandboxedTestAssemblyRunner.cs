using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SandboxedTestAssemblyRunner(ITestAssembly testAssembly, IEnumerable<IXunitTestCase> testCases,
    IMessageSink diagnosticMessageSink, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions,
    Sharing.SharingScope assemblyScope)
    : XunitTestAssemblyRunner(testAssembly, testCases, diagnosticMessageSink, executionMessageSink, executionOptions)
{
    protected override Task<RunSummary> RunTestCollectionAsync(IMessageBus messageBus, ITestCollection testCollection,
        IEnumerable<IXunitTestCase> testCases, CancellationTokenSource cancellationTokenSource) =>
        new SandboxedTestCollectionRunner(testCollection, testCases, DiagnosticMessageSink, messageBus, TestCaseOrderer,
            new ExceptionAggregator(Aggregator), cancellationTokenSource, assemblyScope).RunAsync();

    // Before the finished message: the test host may exit as soon as it has it, leaving the children's folders behind.
    protected override async Task BeforeTestAssemblyFinishedAsync()
    {
        await assemblyScope.Pool.DisposeAsync();
        await base.BeforeTestAssemblyFinishedAsync();
    }
}
