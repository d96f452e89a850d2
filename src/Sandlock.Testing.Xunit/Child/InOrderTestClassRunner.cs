using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit.Child;

internal sealed class InOrderTestClassRunner(ITestClass testClass, IReflectionTypeInfo @class, IEnumerable<IXunitTestCase> testCases,
    IMessageSink diagnosticMessageSink, IMessageBus messageBus, ITestCaseOrderer testCaseOrderer, ExceptionAggregator aggregator,
    CancellationTokenSource cancellationTokenSource, IDictionary<Type, object> collectionFixtureMappings, GivenOrder order)
    : XunitTestClassRunner(testClass, @class, testCases, diagnosticMessageSink, messageBus, testCaseOrderer, aggregator, cancellationTokenSource, collectionFixtureMappings)
{
    // After the base has read the class's own orderer (and made its fixtures).
    protected override async Task AfterTestClassStartingAsync()
    {
        await base.AfterTestClassStartingAsync();
        TestCaseOrderer = order;
    }
}
