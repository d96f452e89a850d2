using System.Globalization;
using Sandlock.Policy.Settings;

namespace Sandlock.Testing.Policy;

/// <summary>
/// The sandbox properties of a <c>[Sandboxed]</c> attribute, framework-neutral. Unset values are null or empty;
/// <see cref="Over"/> lays a more specific attribute (method over class over assembly) on a less specific one.
/// </summary>
internal sealed record SandboxSettings
{
    public string? PolicyFile { get; init; }
    public IReadOnlyList<string> Read { get; init; } = [];
    public IReadOnlyList<string> Write { get; init; } = [];
    public IReadOnlyList<string> Deny { get; init; } = [];
    public string? Workdir { get; init; }
    public IReadOnlyList<string> NetAllow { get; init; } = [];
    public IReadOnlyList<string> HttpAllow { get; init; } = [];
    public IReadOnlyList<string> AcceptDenied { get; init; } = [];
    public string? TimeStart { get; init; }
    public ulong? RandomSeed { get; init; }
    public bool? DeterministicDirs { get; init; }
    public string? MaxMemory { get; init; }
    public int? MaxProcesses { get; init; }
    public int? TimeoutSeconds { get; init; }
    public SandboxIsolation? Isolation { get; init; }

    /// <summary>Where the settings came from, for error messages (e.g. <c>[Sandboxed] on Ns.Class.Method</c>).</summary>
    public string Source { get; init; } = "[Sandboxed]";

    public static SandboxSettings Empty { get; } = new();

    /// <summary>
    /// The policy values these settings state, as (property, text) pairs: each property the settings table names
    /// (<see cref="PolicySettings"/>), read by that name; unset ones give none.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    internal IEnumerable<(string Name, string Value)> PolicyValues() =>
        PolicySettings.In(FrontDoor.Attribute).Select(setting => setting.AttributeProperty!).SelectMany(name =>
        {
            var property = typeof(SandboxSettings).GetProperty(name)
                ?? throw new InvalidOperationException($"[Sandboxed] has no property {name}, which the policy settings name");
            return Texts(property.GetValue(this), name).Select(text => (name, text));
        });

    private static IEnumerable<string> Texts(object? value, string name) => value switch
    {
        null => [],
        string one => [one],
        IEnumerable<string> many => many,
        bool on => [on ? "true" : "false"],
        IFormattable number => [number.ToString(null, CultureInfo.InvariantCulture)],
        _ => throw new InvalidOperationException($"[Sandboxed] {name}: a {value.GetType().Name} is not a policy value"),
    };

    /// <summary>
    /// The isolation asked for, else <see cref="SandboxIsolation.Assembly"/>; but a test that asks for determinism
    /// (RandomSeed, TimeStart, DeterministicDirs) gets a fresh child by default: Random, Random.Shared and string hash
    /// codes are seeded once per process, so only a fresh one repeats them. A test with a Workdir always gets a fresh
    /// child: a workdir's layer lives as long as the sandbox, so a shared child would carry one test's writes into the next.
    /// </summary>
    public SandboxIsolation EffectiveIsolation => Workdir is not null ? SandboxIsolation.Test : Isolation
        ?? (RandomSeed is not null || TimeStart is not null || DeterministicDirs is true ? SandboxIsolation.Test : SandboxIsolation.Assembly);

    /// <summary>
    /// Equal for settings that give the same policy once the per-test parts are left out (the seed, the temp folder
    /// and the timeout, which a shared child sets per test): only such tests may share a child.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public string PolicyKey => string.Join('\u001f',
        [PolicyFile ?? "", .. PolicyValues().Where(v => v.Name != nameof(RandomSeed)).Select(v => $"{v.Name}={v.Value}")]);

    /// <summary>The AcceptDenied paths, full, relative ones taken from <paramref name="baseDirectory"/>.</summary>
    public IReadOnlyList<string> AcceptedDenials(string baseDirectory) =>
        [.. AcceptDenied.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => Path.GetFullPath(p.Trim(), baseDirectory))];

    /// <summary>These settings with <paramref name="specific"/>'s set values taking precedence; lists add up.</summary>
    public SandboxSettings Over(SandboxSettings? specific) => specific is null ? this : new SandboxSettings
    {
        PolicyFile = specific.PolicyFile ?? PolicyFile,
        Read = [.. Read, .. specific.Read],
        Write = [.. Write, .. specific.Write],
        Deny = [.. Deny, .. specific.Deny],
        Workdir = specific.Workdir ?? Workdir,
        NetAllow = [.. NetAllow, .. specific.NetAllow],
        HttpAllow = [.. HttpAllow, .. specific.HttpAllow],
        AcceptDenied = [.. AcceptDenied, .. specific.AcceptDenied],
        TimeStart = specific.TimeStart ?? TimeStart,
        RandomSeed = specific.RandomSeed ?? RandomSeed,
        DeterministicDirs = specific.DeterministicDirs ?? DeterministicDirs,
        MaxMemory = specific.MaxMemory ?? MaxMemory,
        MaxProcesses = specific.MaxProcesses ?? MaxProcesses,
        TimeoutSeconds = specific.TimeoutSeconds ?? TimeoutSeconds,
        Isolation = specific.Isolation ?? Isolation,
        Source = specific.Source,
    };
}
