using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SandboxedTestCollectionRunner(ITestCollection testCollection, IEnumerable<IXunitTestCase> testCases,
    IMessageSink diagnosticMessageSink, IMessageBus messageBus, ITestCaseOrderer testCaseOrderer, ExceptionAggregator aggregator,
    CancellationTokenSource cancellationTokenSource, Sharing.SharingScope assemblyScope, bool runOrderGiven)
    : XunitTestCollectionRunner(testCollection, testCases, diagnosticMessageSink, messageBus, testCaseOrderer, aggregator, cancellationTokenSource)
{
    protected override Task<RunSummary> RunTestClassAsync(ITestClass testClass, IReflectionTypeInfo @class, IEnumerable<IXunitTestCase> testCases) =>
        new SandboxedTestClassRunner(testClass, @class, testCases, DiagnosticMessageSink, MessageBus, TestCaseOrderer,
            new ExceptionAggregator(Aggregator), CancellationTokenSource, CollectionFixtureMappings, assemblyScope, runOrderGiven).RunAsync();
}
