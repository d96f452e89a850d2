using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

/// <summary>
/// Serializes a test case in the form the child's executor deserializes. Through a discoverer, whose Serialize is
/// public in every xunit 2.x (SerializationHelper became public only in 2.8), so suites on older versions work too.
/// </summary>
internal static class TestCaseSerialization
{
    public static string Serialize(IXunitTestCase testCase)
    {
        using var discoverer = new XunitTestFrameworkDiscoverer(testCase.TestMethod.TestClass.TestCollection.TestAssembly.Assembly,
            NoSourceInformation.Instance, SilentSink.Instance);
        return discoverer.Serialize(testCase);
    }

    // Serializing neither looks up sources nor reports diagnostics.
    private sealed class NoSourceInformation : ISourceInformationProvider
    {
        public static readonly NoSourceInformation Instance = new();

        public ISourceInformation GetSourceInformation(ITestCase testCase) => new SourceInformation();

        public void Dispose() { }
    }

    private sealed class SilentSink : IMessageSink
    {
        public static readonly SilentSink Instance = new();

        public bool OnMessage(IMessageSinkMessage message) => true;
    }
}
