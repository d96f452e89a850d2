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
public sealed class SandboxedAttribute : NUnitAttribute, IWrapSetUpTearDown, IApplyToTest
{
    private static readonly Version FirstWithClassWrappers = new(4, 5);
    private ulong? _randomSeed;
    private bool? _deterministicDirs;
    private int? _maxProcesses, _timeoutSeconds;

    /// <summary>A sandlock.toml applied after the project's; relative to the project folder.</summary>
    public string? PolicyFile { get; set; }

    /// <summary>Extra readable paths; relative to the project folder.</summary>
    public string[] Read { get; set; } = [];

    /// <summary>Extra writable paths; relative to the project folder.</summary>
    public string[] Write { get; set; } = [];

    /// <summary>TCP destinations allowed, e.g. <c>:443</c>.</summary>
    public string[] NetAllow { get; set; } = [];

    /// <summary>Virtual clock start (ISO 8601).</summary>
    public string? TimeStart { get; set; }

    /// <summary>The seed for the sandbox's randomness; default: a stable value derived from the test's full name.</summary>
    public ulong RandomSeed { get => _randomSeed ?? 0; set => _randomSeed = value; }

    public bool DeterministicDirs { get => _deterministicDirs ?? false; set => _deterministicDirs = value; }

    /// <summary>Memory limit, e.g. <c>512M</c>.</summary>
    public string? MaxMemory { get; set; }

    public int MaxProcesses { get => _maxProcesses ?? 0; set => _maxProcesses = value; }

    /// <summary>Kills the test's process after this many seconds and reports a timeout; 0: no limit.</summary>
    public int TimeoutSeconds { get => _timeoutSeconds ?? 0; set => _timeoutSeconds = value; }

    public TestCommand Wrap(TestCommand command) => new SandboxedTestCommand(command);

    /// <summary>Refuses to pretend: on an NUnit that ignores fixture-level wrappers, the fixture's tests are not runnable.</summary>
    public void ApplyToTest(Test test)
    {
        if (test is TestMethod or ParameterizedMethodSuite || typeof(TestAttribute).Assembly.GetName().Version >= FirstWithClassWrappers) return;
        test.RunState = RunState.NotRunnable;
        test.Properties.Set(PropertyNames.SkipReason, "[Sandboxed] on a fixture or an assembly needs NUnit 4.5 or later; put it on the test methods instead");
    }

    internal SandboxSettings ToSettings(string source) => new()
    {
        PolicyFile = PolicyFile,
        Read = Read,
        Write = Write,
        NetAllow = NetAllow,
        TimeStart = TimeStart,
        RandomSeed = _randomSeed,
        DeterministicDirs = _deterministicDirs,
        MaxMemory = MaxMemory,
        MaxProcesses = _maxProcesses,
        TimeoutSeconds = _timeoutSeconds,
        Source = source,
    };
}
