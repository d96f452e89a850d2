namespace Sandlock.Testing.Protocol;

/// <summary>
/// What the parent asks the child host to run, written as <see cref="ProtocolCodec.RequestFileName"/> in the test's temp dir, or sent to a shared child.
/// </summary>
/// <param name="RunnerType">Assembly-qualified name of the <see cref="Child.IChildTestRunner"/> that knows the framework.</param>
/// <param name="AssemblyPath">The test assembly.</param>
/// <param name="TestId">The framework's own handle for the test (a serialized xunit test case, an NUnit full name).</param>
/// <param name="FrameworkSettings">Framework-specific values the child must share with the parent (NUnit's random seed).</param>
public sealed record ChildTestRequest(
    string RunnerType,
    string AssemblyPath,
    string TestId,
    IReadOnlyDictionary<string, string> FrameworkSettings);
