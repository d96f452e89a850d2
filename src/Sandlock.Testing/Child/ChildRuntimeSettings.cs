using Sandlock.Policy;

namespace Sandlock.Testing.Child;

/// <summary>
/// Runtime settings for a short-lived test child: no tiered PGO (its instrumented tier costs a child more than it gains
/// in a run of a few tests) and no background GC thread. Measured together: a fresh confined child took about 4 % less
/// (175 ms against 181 ms, bench/Sandlock.Testing.Bench, three alternating runs of ten rounds). No W^X either: each
/// write of the runtime to its code maps and unmaps a view, and every unmap of a process with threads on both CPUs
/// interrupts the other one to flush its TLB, which this VM makes dear while the other children and the test host
/// keep it busy (the child is the sandbox's to contain, not its code pages'). And the ICU this test host loaded, by
/// version: without it the runtime looks for each version from the newest it knows down to the one installed, four
/// missing files a version (about 70 opens a child, each held by the supervisor), to load the same library in the end.
/// A project that sets tiered PGO or the concurrent GC itself (its runtimeconfig) keeps its choice in its children.
/// </summary>
internal static class ChildRuntimeSettings
{
    /// <summary>A variable a child is given, and the runtimeconfig property that sets the same (null: none does).</summary>
    private readonly record struct Setting(string Variable, string Value, string? ConfigProperty);

    private static readonly Setting[] Settings =
    [
        new("DOTNET_TieredPGO", "0", "System.Runtime.TieredPGO"),
        new("DOTNET_gcConcurrent", "0", "System.GC.Concurrent"),
        new("DOTNET_EnableWriteXorExecute", "0", null),
        .. LoadedIcuVersion.Major is { } icu ? [new Setting("DOTNET_ICU_VERSION_OVERRIDE", icu, null)] : Array.Empty<Setting>(),
    ];

    /// <summary>
    /// The child's policy with the settings above, except those the test project's runtimeconfig names (a variable would
    /// override the project's own choice there, as it does not in the test host) and those the test's policy sets itself.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static SandboxPolicy For(SandboxPolicy policy, string testAssemblyPath)
    {
        var chosen = ProjectRuntimeConfig.PropertiesOf(testAssemblyPath);
        var defaults = new List<KeyValuePair<string, string>>(Settings.Length);
        foreach (var setting in Settings)
            if (setting.ConfigProperty is null || !chosen.Contains(setting.ConfigProperty))
                defaults.Add(new(setting.Variable, setting.Value));
        return WithDefaults(policy, defaults);
    }

    /// <summary>The policy with each of <paramref name="settings"/> in its environment, unless it sets that variable itself.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    internal static SandboxPolicy WithDefaults(SandboxPolicy policy, IEnumerable<KeyValuePair<string, string>> settings)
    {
        var env = policy.Env;
        foreach (var (name, value) in settings)
            if (!env.ContainsKey(name)) env = env.Add(name, value);
        return policy with { Env = env };
    }
}
