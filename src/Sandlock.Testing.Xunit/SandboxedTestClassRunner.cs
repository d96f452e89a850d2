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
    CancellationTokenSource cancellationTokenSource, IDictionary<Type, object> collectionFixtureMappings, Sharing.SharingScope assemblyScope)
    : XunitTestClassRunner(testClass, @class, testCases, diagnosticMessageSink, messageBus, testCaseOrderer, aggregator, cancellationTokenSource, collectionFixtureMappings)
{
    // The children of Isolation = Class live as long as this class's run.
    private readonly Sharing.SharingScope _classScope = new(new Sharing.SharedChildPool(), "class");

    private bool AllSandboxed => TestCases.All(SandboxedTestCases.IsSandboxed);

    protected override Task AfterTestClassStartingAsync() => AllSandboxed ? Task.CompletedTask : base.AfterTestClassStartingAsync();

    protected override async Task BeforeTestClassFinishedAsync()
    {
        await _classScope.Pool.DisposeAsync();
        await base.BeforeTestClassFinishedAsync();
    }

    protected override object[] CreateTestClassConstructorArguments() => AllSandboxed ? [] : base.CreateTestClassConstructorArguments();

    protected override Task<RunSummary> RunTestMethodAsync(ITestMethod testMethod, IReflectionMethodInfo method, IEnumerable<IXunitTestCase> testCases, object[] constructorArguments) =>
        new SandboxedTestMethodRunner(testMethod, Class, method, testCases, DiagnosticMessageSink, MessageBus,
            new ExceptionAggregator(Aggregator), CancellationTokenSource, constructorArguments, _classScope, assemblyScope).RunAsync();
}
