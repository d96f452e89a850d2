using System.Reflection;
using Sandlock.Testing.Policy;

namespace Sandlock.Testing;

/// <summary>One test to run in a sandboxed child process.</summary>
/// <param name="TestAssembly">The loaded test assembly (its metadata names the project's policy file).</param>
/// <param name="TestFullName">The test's full name: the seed derives from it and messages name it.</param>
/// <param name="TestId">The framework's handle for the test in the child (see <see cref="Protocol.ChildTestRequest.TestId"/>).</param>
/// <param name="RunnerType">Assembly-qualified name of the framework's <see cref="Child.IChildTestRunner"/>.</param>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed record SandboxedTestLaunch(Assembly TestAssembly, string TestFullName, string TestId, string RunnerType, SandboxSettings Settings)
{
    public IReadOnlyDictionary<string, string> FrameworkSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>Where a test with <see cref="SandboxIsolation.Class"/> finds its shared child; null: a fresh child.</summary>
    public Sharing.SharingScope? ClassScope { get; init; }

    /// <summary>Where a test with <see cref="SandboxIsolation.Assembly"/> finds its shared child; null: a fresh child.</summary>
    public Sharing.SharingScope? AssemblyScope { get; init; }

    /// <summary>Confinement on (the product) or off (the same child path, for comparison in benchmarks).</summary>
    public bool Confined { get; init; } = true;
}
