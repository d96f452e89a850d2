using Sandlock.Testing.Policy;

namespace Sandlock.Testing.Xunit;

/// <summary>
/// Runs each test it covers (a method, every test of a class, or every test of the assembly) in its own child
/// process confined by Sandlock. Combine with <c>[Fact]</c> or <c>[Theory]</c>. Default policy: read the system
/// and the test's output folder, write only a fresh per-test temp dir (TMPDIR), no network; then the project's
/// <c>sandlock.toml</c>; then these properties (a method's over its class's over the assembly's).
/// </summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class | AttributeTargets.Assembly, AllowMultiple = false, Inherited = true)]
public sealed class SandboxedAttribute : Attribute
{
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
