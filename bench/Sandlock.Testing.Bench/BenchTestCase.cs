using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Bench;

/// <summary>BenchTests.AddsNumbers as the serialized xunit test case that the parent sends to a child.</summary>
internal static class BenchTestCase
{
    public static string Serialized { get; } = Create();

    private static string Create()
    {
        var type = typeof(BenchTests);
        var assembly = new TestAssembly(new ReflectionAssemblyInfo(type.Assembly), null);
        var testClass = new TestClass(new TestCollection(assembly, null, "bench"), new ReflectionTypeInfo(type));
        var method = new TestMethod(testClass, new ReflectionMethodInfo(type.GetMethod(nameof(BenchTests.AddsNumbers))!));
        var testCase = new XunitTestCase(new NullMessageSink(), TestMethodDisplay.ClassAndMethod, TestMethodDisplayOptions.None, method);
        return SerializationHelper.Serialize(testCase);
    }
}
