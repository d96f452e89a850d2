namespace Sandlock.Testing.Xunit;

/// <summary>
/// Runs each test it covers (a method, every test of a class, or every test of the assembly) in its own child
/// process confined by Sandlock. Combine with <c>[Fact]</c> or <c>[Theory]</c>. Default policy: read the system
/// and the test's output folder, write only a fresh per-test temp dir (TMPDIR), no network; then the project's
/// <c>sandlock.toml</c>; then these properties (a method's over its class's over the assembly's).
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class | AttributeTargets.Assembly, AllowMultiple = false, Inherited = true)]
public sealed class SandboxedAttribute : SandboxedAttributeBase;
