using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

/// <summary>
/// The order in which xunit's runners will run test cases, as they make it: a class's cases by its orderer (the
/// class's own, else its collection's, else the assembly's), grouped by method; the classes of a collection as they
/// first come; the collections as the assembly's orderer gives them. A guess that goes wrong (an orderer that orders
/// differently twice) only starts a child no test takes.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class SandboxedTestRunOrder
{
    /// <summary>The cases of one class in the order its runner runs them.</summary>
    public static IEnumerable<IXunitTestCase> InRunOrder(IEnumerable<IXunitTestCase> testCases, ITestCaseOrderer orderer)
    {
        IEnumerable<IXunitTestCase> ordered;
        try { ordered = orderer.OrderTestCases(testCases); }
        // The base runner reports the orderer's failure and runs the cases as they came.
        catch (Exception) { ordered = testCases; }
        return ordered.GroupBy(c => c.TestMethod, TestMethodComparer.Instance).SelectMany(method => method);
    }

    /// <summary>The orderer a class names with <see cref="TestCaseOrdererAttribute"/>; null when it names none or it cannot be made (said to <paramref name="diagnostics"/>).</summary>
    public static ITestCaseOrderer? ClassOrderer(ITypeInfo @class, IMessageSink diagnostics, string className) =>
        OrdererNamedOn(@class.GetCustomAttributes(typeof(TestCaseOrdererAttribute)).SingleOrDefault(), diagnostics, $"test class '{className}'");

    private static ITestCaseOrderer? OrdererNamedOn(IAttributeInfo? ordererAttribute, IMessageSink diagnostics, string where)
    {
        if (ordererAttribute is null) return null;
        try
        {
            if (ExtensibilityPointFactory.GetTestCaseOrderer(diagnostics, ordererAttribute) is { } orderer) return orderer;
            diagnostics.OnMessage(new DiagnosticMessage($"Could not find the test case orderer of {where}"));
        }
        catch (Exception e)
        {
            diagnostics.OnMessage(new DiagnosticMessage($"The test case orderer of {where} threw {e.GetType().FullName} during construction: {e.Message}"));
        }
        return null;
    }

    /// <summary>
    /// For a run whose collections go one after the other: tells <see cref="SandboxedTestRunner.ExpectOwnChildren"/>
    /// the order of all its tests that take a child of their own, so that each class's first test's child starts
    /// while the class before it runs. Returns whether it did (the classes then give no order of their own).
    /// </summary>
    public static bool Expect(IEnumerable<Tuple<ITestCollection, List<IXunitTestCase>>> collections, ITestCaseOrderer assemblyOrderer, Sharing.SharingScope assemblyScope)
    {
        var launches = new List<SandboxedTestLaunch>();
        foreach (var (collection, cases) in collections)
        {
            var collectionOrderer = collection.CollectionDefinition is { } definition
                ? OrdererNamedOn(definition.GetCustomAttributes(typeof(TestCaseOrdererAttribute)).SingleOrDefault(), Silent.Instance, "") ?? assemblyOrderer
                : assemblyOrderer;
            foreach (var inClass in cases.GroupBy(c => c.TestMethod.TestClass, TestClassComparer.Instance))
            {
                var orderer = ClassOrderer(inClass.Key.Class, Silent.Instance, "") ?? collectionOrderer;
                foreach (var testCase in InRunOrder(inClass, orderer))
                {
                    if (SandboxedTestCases.SettingsOf(testCase) is { EffectiveIsolation: SandboxIsolation.Test } settings)
                        launches.Add(SandboxedTestCases.LaunchOf(testCase, settings, null, assemblyScope));
                }
            }
        }
        SandboxedTestRunner.ExpectOwnChildren(launches);
        return true;
    }

    // The class and collection runners report an orderer that fails; guessing the order says nothing.
    private sealed class Silent : IMessageSink
    {
        public static readonly Silent Instance = new();

        public bool OnMessage(IMessageSinkMessage message) => true;
    }
}
