using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Policy.Files;
using Sandlock.Policy.Settings;
using Sandlock.Tests.TestSupport;

namespace Sandlock.Tests.Policy;

/// <summary>
/// The one table of policy settings: every name it gives a front door is one that door accepts, and a setting a door
/// does not offer is one of the exceptions listed here.
/// </summary>
public sealed class PolicySettingsTests
{
    /// <summary>Settings the original sandlock CLI has no flag for.</summary>
    internal static readonly string[] WithoutFlag = [SettingNames.Gid, SettingNames.GpuDevices];

    /// <summary>Settings the original sandlock.toml schema has no key for: about the run, not the profile.</summary>
    internal static readonly string[] WithoutFileKey = [SettingNames.Name, SettingNames.NoSupervisor, SettingNames.AllowDegraded, SettingNames.Disable];

    /// <summary>SandlockExec's policy parameters (docs/msbuild.md): a build step needs few; the rest go in sandlock.toml.</summary>
    internal static readonly string[] OnTask =
    [
        SettingNames.FsRead, SettingNames.FsWrite, SettingNames.FsDeny, SettingNames.NetAllow, SettingNames.HttpAllow, SettingNames.MaxMemory,
        SettingNames.MaxProcesses, SettingNames.TimeStart, SettingNames.RandomSeed, SettingNames.DeterministicDirs, SettingNames.CleanEnv,
        SettingNames.Workdir,
    ];

    /// <summary>[Sandboxed]'s policy properties: a test needs few; the rest go in sandlock.toml.</summary>
    internal static readonly string[] OnAttribute =
    [
        SettingNames.FsRead, SettingNames.FsWrite, SettingNames.FsDeny, SettingNames.NetAllow, SettingNames.HttpAllow, SettingNames.MaxMemory,
        SettingNames.MaxProcesses, SettingNames.TimeStart, SettingNames.RandomSeed, SettingNames.DeterministicDirs,
        SettingNames.Workdir,
    ];

    [Fact]
    public void The_seed_kind_names_the_largest_seed_it_reads()
    {
        Assert.Equal($"a whole number from 0 to {ulong.MaxValue}", ValueKinds.Seed.Expected);
        Assert.Equal(ulong.MaxValue, ValueKinds.Seed.Parse(ulong.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture), "test"));
    }

    private static string[] Without(FrontDoor door) =>
        [.. PolicySettings.All.Where(s => s.NameIn(door) is null).Select(s => s.Name).Order(StringComparer.Ordinal)];

    [Fact]
    public void A_setting_missing_from_a_front_door_is_a_listed_exception()
    {
        Assert.Equal(WithoutFlag.Order(StringComparer.Ordinal), Without(FrontDoor.CommandLine));
        Assert.Equal(WithoutFileKey.Order(StringComparer.Ordinal), Without(FrontDoor.PolicyFile));
        Assert.Equal(OnTask.Order(StringComparer.Ordinal), PolicySettings.In(FrontDoor.Task).Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.Equal(OnAttribute.Order(StringComparer.Ordinal), PolicySettings.In(FrontDoor.Attribute).Select(s => s.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Each_setting_has_one_name_from_flag_to_denial_text()
    {
        Assert.Equal(PolicySettings.All.Count, PolicySettings.All.Select(s => s.Name).Distinct().Count());
        foreach (var door in Enum.GetValues<FrontDoor>())
        {
            var names = PolicySettings.In(door).Select(s => s.NameIn(door)).ToList();
            Assert.Equal(names.Count, names.Distinct().Count());
        }
        // The setting's name is its flag without the dashes.
        foreach (var setting in PolicySettings.In(FrontDoor.CommandLine))
            Assert.Equal("--" + setting.Name.Replace('_', '-'), setting.Flag);
        // What the builder calls a setting when no front door gave a source is that name too.
        var e = Assert.ThrowsAny<PolicyException>(() => new SandboxPolicyBuilder().FsDeny(""));
        Assert.StartsWith($"{SettingNames.FsDeny}: ", e.Message);
    }

    [Fact]
    public void The_policy_file_has_the_sections_and_keys_of_the_original_schema()
    {
        var expected = new Dictionary<string, string[]>
        {
            ["program"] = ["exec", "args", "env", "cwd", "uid", "gid", "clean_env", "no_coredump", "no_huge_pages"],
            ["filesystem"] = ["read", "write", "deny", "chroot", "mount", "on_exit", "on_error"],
            ["network"] = ["allow", "deny", "allow_bind", "deny_bind", "port_remap"],
            // auth is ours: credentials the proxy adds, kept out of the sandbox.
            ["http"] = ["allow", "deny", "ports", "auth"],
            ["syscalls"] = ["extra_allow", "extra_deny"],
            ["limits"] = ["memory", "processes", "open_files", "cpu", "disk", "gpu_devices", "cpu_cores", "num_cpus"],
            ["determinism"] = ["random_seed", "time_start", "deterministic_dirs", "no_randomize_memory"],
            ["config"] = ["workdir", "fs_storage", "http_ca", "http_key"],
        };
        Assert.Equal(expected.Keys, PolicyFileSchema.Sections.Select(s => s.Name));
        foreach (var (section, keys) in PolicyFileSchema.Sections)
            Assert.Equal(expected[section], keys.Select(k => k.Key));
    }

    [Fact]
    public void Each_policy_file_key_is_read_and_reaches_the_builder()
    {
        foreach (var setting in PolicySettings.In(FrontDoor.PolicyFile))
        {
            var (section, key) = setting.FileKey!.Value;
            var text = $"[{section}]\n{key} = {Toml(setting)}\n";
            var file = PolicyFile.Parse(text, "p.toml");
            var builder = new SandboxPolicyBuilder();
            file.ApplyTo(builder);
            Assert.True(file.LineOf(section, key) == 2, $"{section} {key}");
        }
    }

    [Fact]
    public void Each_setting_applies_a_value_given_as_text()
    {
        foreach (var setting in PolicySettings.All)
        {
            var builder = new SandboxPolicyBuilder();
            setting.Apply(builder, SettingSamples.Of(setting.Kind), "source");
        }
    }

    [Fact]
    public void A_denial_is_explained_in_each_front_door_s_names_for_the_setting()
    {
        var policy = new SandboxPolicyBuilder().Build();
        var file = new DeniedAccess.Finding(DeniedAccess.Kind.File, "/data", "cat: /data: Permission denied");
        var fork = new DeniedAccess.Finding(DeniedAccess.Kind.Processes, "8", "sh: Cannot fork");
        Assert.Contains($"add {PolicySettings.FsRead.TaskParameter}=\"/data\" (or {PolicySettings.FsWrite.TaskParameter} to write) to the task",
            DeniedAccess.Explain(file, PolicyVocabulary.Task(null)));
        Assert.Contains($"add {PolicySettings.FsRead.AttributeProperty} = [\"/data\"] (or {PolicySettings.FsWrite.AttributeProperty} to write) to [Sandboxed]",
            DeniedAccess.Explain(file, PolicyVocabulary.SandboxedAttribute(null)));
        Assert.Contains("read = [\"/data\"] under [filesystem]", DeniedAccess.Explain(file, PolicyVocabulary.TestHost(null)));
        Assert.Contains("add --fs-read /data", DeniedAccess.Explain(file, PolicyVocabulary.CommandLine(null)));
        Assert.Contains("raise MaxProcesses on the task, or processes under [limits]", DeniedAccess.Explain(fork, PolicyVocabulary.Task(null)));
        Assert.Contains($"({SettingNames.MaxProcesses} 8:", DeniedAccess.Explain(fork, PolicyVocabulary.Task(null)));
        Assert.NotNull(policy);
    }

    [Theory]
    [InlineData("curl: (6) Could not resolve host: example.org", "example.org:PORT")]
    [InlineData("Error: getaddrinfo EAI_AGAIN registry.npmjs.org", "registry.npmjs.org:PORT")]
    [InlineData("System.Net.Http.HttpRequestException : Resource temporarily unavailable (api.nuget.org:443)", "api.nuget.org:443")]
    [InlineData("bash: example.org: Temporary failure in name resolution", "example.org:PORT")]
    [InlineData("socket.gaierror: [Errno -3] Temporary failure in name resolution", "")]
    public void A_name_lookup_without_DNS_is_found_in_the_programs_words_and_explained_with_a_host_rule(string line, string target)
    {
        var finding = DeniedAccess.Inspect(line, new SandboxPolicyBuilder().NetAllow(":443").Build());

        Assert.Equal(new DeniedAccess.Finding(DeniedAccess.Kind.NameLookup, target, line), finding);
        Assert.Contains($"NetAllow=\"{(target.Length > 0 ? target : "HOST:PORT")}\"", DeniedAccess.Explain(finding!, PolicyVocabulary.Task(null)));
        Assert.StartsWith("the sandbox has no DNS: a host name could not be looked up", DeniedAccess.Explain(finding!, PolicyVocabulary.Task(null)));
        // With a UDP rule the sandbox may ask a DNS server itself: a failed lookup is then the network's, not the sandbox's.
        Assert.Null(DeniedAccess.Inspect(line, new SandboxPolicyBuilder().NetAllow("udp://10.0.0.53:53").Build()));
    }

    private static string Toml(PolicySetting setting)
    {
        var sample = SettingSamples.Of(setting.Kind);
        var value = setting.Kind.File switch
        {
            FileForm.Integer or FileForm.NonNegativeInteger or FileForm.Boolean => sample,
            FileForm.Integers => $"[{sample}]",
            FileForm.StringTable => "{ A = \"1\" }",
            _ => $"\"{sample}\"",
        };
        return setting.Shape == SettingShape.Many && setting.Kind.File != FileForm.StringTable ? $"[{value}]" : value;
    }
}
