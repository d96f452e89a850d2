using NUnit.Framework;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;
using NUnit.Framework.Internal.Commands;
using Sandlock.Testing.Policy;

namespace Sandlock.Testing.NUnit;

/// <summary>
/// Runs each test it covers (a method, every test of a fixture, or every test of the assembly), with its setup and
/// teardown, in its own child process confined by Sandlock. Combine with <c>[Test]</c>, <c>[TestCase]</c> or
/// <c>[TestCaseSource]</c>. Default policy: read the system and the test's output folder, write only a fresh
/// per-test temp dir (TMPDIR), no network; then the project's <c>sandlock.toml</c>; then these properties.
/// On a fixture or the assembly it needs NUnit 4.5 or later (older versions read wrappers from methods only).
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class | AttributeTargets.Assembly, AllowMultiple = false, Inherited = true)]
public sealed class SandboxedAttribute : SandboxedAttributeBase, IWrapSetUpTearDown, IApplyToTest
{
    private static readonly Version FirstWithClassWrappers = new(4, 5);

    // Usable in code built for any platform (no CA1416 at the attribute); running a test confined needs Linux.
    public TestCommand Wrap(TestCommand command) => OperatingSystem.IsLinux()
        ? new SandboxedTestCommand(command)
        : throw new PlatformNotSupportedException("[Sandboxed] confines a test with Landlock and seccomp, which exist only on Linux");

    /// <summary>
    /// Refuses to pretend: on an NUnit that ignores fixture-level wrappers, the fixture's tests are not runnable. On the
    /// assembly, as NUnit loads it, starts the shared children its first tests will take (see <see cref="SandboxedTestCommand.StartAhead"/>).
    /// </summary>
    public void ApplyToTest(Test test)
    {
        if (test is TestAssembly { Assembly: { } assembly } && OperatingSystem.IsLinux()) SandboxedTestCommand.StartAhead(assembly);
        if (test is TestMethod or ParameterizedMethodSuite || typeof(TestAttribute).Assembly.GetName().Version >= FirstWithClassWrappers) return;
        test.RunState = RunState.NotRunnable;
        test.Properties.Set(PropertyNames.SkipReason, "[Sandboxed] on a fixture or an assembly needs NUnit 4.5 or later; put it on the test methods instead");
    }
}
