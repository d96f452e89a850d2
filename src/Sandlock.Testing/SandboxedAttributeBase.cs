using Sandlock.Testing.Policy;

namespace Sandlock.Testing;

/// <summary>
/// The properties every framework's <c>[Sandboxed]</c> shares. Default policy: read the system and the test's output
/// folder, write only a fresh per-test temp dir (TMPDIR), no network; then the project's <c>sandlock.toml</c>; then
/// these properties (a method's over its class's over the assembly's).
/// </summary>
public abstract class SandboxedAttributeBase : Attribute
{
    private ulong? _randomSeed;
    private bool? _deterministicDirs;
    private int? _maxProcesses, _timeoutSeconds;
    private SandboxIsolation? _isolation;

    /// <summary>A sandlock.toml applied after the project's; relative to the project folder.</summary>
    public string? PolicyFile { get; set; }

    /// <summary>Extra readable paths; relative to the project folder.</summary>
    public string[] Read { get; set; } = [];

    /// <summary>Extra writable paths; relative to the project folder.</summary>
    public string[] Write { get; set; } = [];

    /// <summary>Paths denied even inside a readable or writable tree (fs_deny); relative to the project folder.</summary>
    public string[] Deny { get; set; } = [];

    /// <summary>
    /// A folder the test may change through a copy-on-write layer (relative to the project folder): it sees the
    /// folder's files, its writes, deletions and renames land in a private layer, and the layer is thrown away when the
    /// test ends, whatever its outcome. Such a test runs in a child of its own, whatever <see cref="Isolation"/> says;
    /// <see cref="SandboxedTestEnvironment.Workdir"/> gives it the full path.
    /// </summary>
    public string? Workdir { get; set; }

    /// <summary>Network destinations allowed, e.g. <c>:443</c> or <c>api.nuget.org:443</c>.</summary>
    public string[] NetAllow { get; set; } = [];

    /// <summary>HTTP requests allowed, e.g. <c>GET api.nuget.org/v3/*</c>; others get a 403 from the sandbox (HTTPS too).</summary>
    public string[] HttpAllow { get; set; } = [];

    /// <summary>
    /// Files or folders the test may be refused without failing (known harmless probes); relative to the project
    /// folder. Any other file the sandbox refuses fails the test, even one whose code swallowed the refusal.
    /// </summary>
    public string[] AcceptDenied { get; set; } = [];

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

    /// <summary>
    /// Which tests share one confined child process; default <see cref="SandboxIsolation.Assembly"/>, or
    /// <see cref="SandboxIsolation.Test"/> for a test that sets RandomSeed, TimeStart or DeterministicDirs (only a
    /// fresh process repeats Random, Random.Shared and string hash codes). A test with a <see cref="Workdir"/> always
    /// gets a fresh child.
    /// </summary>
    public SandboxIsolation Isolation { get => _isolation ?? SandboxIsolation.Assembly; set => _isolation = value; }

    /// <summary>The settings this attribute states; <paramref name="source"/> names it in error messages.</summary>
    internal SandboxSettings ToSettings(string source) => new()
    {
        PolicyFile = PolicyFile,
        Read = Read,
        Write = Write,
        Deny = Deny,
        Workdir = Workdir,
        NetAllow = NetAllow,
        HttpAllow = HttpAllow,
        AcceptDenied = AcceptDenied,
        TimeStart = TimeStart,
        RandomSeed = _randomSeed,
        DeterministicDirs = _deterministicDirs,
        MaxMemory = MaxMemory,
        MaxProcesses = _maxProcesses,
        TimeoutSeconds = _timeoutSeconds,
        Isolation = _isolation,
        Source = source,
    };
}
