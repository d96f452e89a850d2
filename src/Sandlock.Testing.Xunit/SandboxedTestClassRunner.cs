using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

/// <summary>
/// For a class whose every test is sandboxed, class fixtures and the constructor belong to the children only:
/// the parent neither creates fixtures nor checks constructor arguments.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SandboxedTestClassRunner(ITestClass testClass, IReflectionTypeInfo @class, IEnumerable<IXunitTestCase> testCases,
    IMessageSink diagnosticMessageSink, IMessageBus messageBus, ITestCaseOrderer testCaseOrderer, ExceptionAggregator aggregator,
    CancellationTokenSource cancellationTokenSource, IDictionary<Type, object> collectionFixtureMappings)
    : XunitTestClassRunner(testClass, @class, testCases, diagnosticMessageSink, messageBus, testCaseOrderer, aggregator, cancellationTokenSource, collectionFixtureMappings)
{
    private bool AllSandboxed => TestCases.All(SandboxedTestCases.IsSandboxed);

    protected override Task AfterTestClassStartingAsync() => AllSandboxed ? Task.CompletedTask : base.AfterTestClassStartingAsync();

    protected override object[] CreateTestClassConstructorArguments() => AllSandboxed ? [] : base.CreateTestClassConstructorArguments();

    protected override Task<RunSummary> RunTestMethodAsync(ITestMethod testMethod, IReflectionMethodInfo method, IEnumerable<IXunitTestCase> testCases, object[] constructorArguments) =>
        new SandboxedTestMethodRunner(testMethod, Class, method, testCases, DiagnosticMessageSink, MessageBus,
            new ExceptionAggregator(Aggregator), CancellationTokenSource, constructorArguments).RunAsync();
}
