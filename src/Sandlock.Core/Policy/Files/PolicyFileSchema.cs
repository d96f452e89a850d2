using Tomlyn.Syntax;

namespace Sandlock.Policy.Files;

/// <summary>How one key of a policy file is read.</summary>
internal abstract record KeyBinding;

/// <summary>A key that takes one value (possibly an array).</summary>
internal sealed record ValueBinding(Action<TomlValueReader, PolicyFileContent> Read) : KeyBinding;

/// <summary>A key that is itself a table of named values, such as <c>[program] env</c>.</summary>
internal sealed record TableBinding(string Expected, Action<string, TomlValueReader, PolicyFileContent> ReadItem) : KeyBinding;

/// <summary>
/// The sections and keys of <c>sandlock.toml</c> (the original sandlock profile schema) and how each maps
/// onto <see cref="SandboxPolicyBuilder"/>. Values are type-checked while reading; builder calls run later.
/// </summary>
internal static class PolicyFileSchema
{
    private const string Size = "a size such as \"512M\" or an integer byte count";
    private const string Port = "a port number or a port string such as \"8000-8010\"";
    private const string Time = "an ISO 8601 string or a TOML date-time";

    public static IReadOnlyList<(string Name, IReadOnlyList<(string Key, KeyBinding Binding)> Keys)> Sections { get; } =
    [
        ("program",
        [
            ("exec", new ValueBinding((v, c) => c.Exec = (v.String("a program name or path"), v.Location))),
            ("args", new ValueBinding((v, c) => c.Args = ([.. v.Strings()], v.Location))),
            ("env", new TableBinding("a table of strings", (name, v, c) =>
            {
                var value = v.String();
                var source = v.Source;
                c.Add(b => b.Env(name, value, source));
            })),
            ("cwd", One(v => v.String("a path"), (b, x, s) => b.Cwd(x, s))),
            ("uid", One(v => v.Int32(), (b, x, s) => b.Uid(x, s))),
            ("gid", One(v => v.Int32(), (b, x, s) => b.Gid(x, s))),
            ("clean_env", One(v => v.Boolean(), (b, x, s) => b.CleanEnv(x, s))),
            ("no_coredump", One(v => v.Boolean(), (b, x, s) => b.NoCoredump(x, s))),
            ("no_huge_pages", One(v => v.Boolean(), (b, x, s) => b.NoHugePages(x, s))),
        ]),
        ("filesystem",
        [
            ("read", Each("paths", v => v.String("a path"), (b, x, s) => b.FsRead(x, s))),
            ("write", Each("paths", v => v.String("a path"), (b, x, s) => b.FsWrite(x, s))),
            ("deny", Each("paths", v => v.String("a path"), (b, x, s) => b.FsDeny(x, s))),
            ("chroot", One(v => v.String("a path"), (b, x, s) => b.Chroot(x, s))),
            ("mount", Each("strings", v => v.String("a mount such as \"/data:/srv/data:ro\""), (b, x, s) => b.FsMount(x, s))),
            ("on_exit", One(BranchActionOf, (b, x, s) => b.OnExit(x, s))),
            ("on_error", One(BranchActionOf, (b, x, s) => b.OnError(x, s))),
        ]),
        ("network",
        [
            ("allow", Each("strings", v => v.String(), (b, x, s) => b.NetAllow(x, s))),
            ("deny", Each("strings", v => v.String(), (b, x, s) => b.NetDeny(x, s))),
            ("allow_bind", Each("ports", v => v.IntegerOrString(Port), (b, x, s) => b.NetAllowBind(x, s))),
            ("deny_bind", Each("ports", v => v.IntegerOrString(Port), (b, x, s) => b.NetDenyBind(x, s))),
            ("port_remap", One(v => v.Boolean(), (b, x, s) => b.PortRemap(x, s))),
        ]),
        ("http",
        [
            ("allow", Each("strings", v => v.String(), (b, x, s) => b.HttpAllow(x, s))),
            ("deny", Each("strings", v => v.String(), (b, x, s) => b.HttpDeny(x, s))),
            ("ports", Each("ports", v => v.IntegerOrString(Port), (b, x, s) => b.HttpPort(x, s))),
            ("auth", Each("strings", v => v.String("HOST=ENVVAR"), (b, x, s) => b.HttpAuth(x, s))),
        ]),
        ("syscalls",
        [
            ("extra_allow", Each("strings", v => v.String("a syscall group name"), (b, x, s) => b.ExtraAllowSyscall(x, s))),
            ("extra_deny", Each("strings", v => v.String("a syscall name"), (b, x, s) => b.ExtraDenySyscall(x, s))),
        ]),
        ("limits",
        [
            ("memory", One(v => v.IntegerOrString(Size), (b, x, s) => b.MaxMemory(x, s))),
            ("processes", One(v => v.Int32(), (b, x, s) => b.MaxProcesses(x, s))),
            ("open_files", One(v => v.Int32(), (b, x, s) => b.MaxOpenFiles(x, s))),
            ("cpu", One(v => v.Int32(), (b, x, s) => b.Cpu(x, s))),
            ("disk", One(v => v.IntegerOrString(Size), (b, x, s) => b.MaxDisk(x, s))),
            ("gpu_devices", One(v => v.Int32s().ToArray(), (b, x, s) => b.GpuDevices(x, s))),
            ("cpu_cores", One(v => v.Int32s().ToArray(), (b, x, s) => b.CpuCores(x, s))),
            ("num_cpus", One(v => v.Int32(), (b, x, s) => b.NumCpus(x, s))),
        ]),
        ("determinism",
        [
            ("random_seed", One(v => v.UInt64(), (b, x, s) => b.RandomSeed(x, s))),
            ("time_start", new ValueBinding((v, c) =>
            {
                var source = v.Source;
                if (v.Node is StringValueSyntax)
                {
                    var text = v.String(Time);
                    c.Add(b => b.TimeStart(text, source));
                }
                else
                {
                    var start = v.DateTime(Time);
                    c.Add(b => b.TimeStart(start, source));
                }
            })),
            ("deterministic_dirs", One(v => v.Boolean(), (b, x, s) => b.DeterministicDirs(x, s))),
            ("no_randomize_memory", One(v => v.Boolean(), (b, x, s) => b.NoRandomizeMemory(x, s))),
        ]),
        ("config",
        [
            ("workdir", One(v => v.String("a path"), (b, x, s) => b.Workdir(x, s))),
            ("fs_storage", One(v => v.String("a path"), (b, x, s) => b.FsStorage(x, s))),
            ("http_ca", One(v => v.String("a path"), (b, x, s) => b.HttpCa(x, s))),
            ("http_key", One(v => v.String("a path"), (b, x, s) => b.HttpKey(x, s))),
        ]),
    ];

    public static string SectionList => string.Join(", ", Sections.Select(s => $"[{s.Name}]"));

    public static IReadOnlyList<(string Key, KeyBinding Binding)>? FindSection(string name) =>
        Sections.FirstOrDefault(s => s.Name == name).Keys;

    public static string KeyList(IReadOnlyList<(string Key, KeyBinding Binding)> keys) => string.Join(", ", keys.Select(k => k.Key));

    public static KeyBinding? FindKey(IReadOnlyList<(string Key, KeyBinding Binding)> keys, string key) =>
        keys.FirstOrDefault(k => k.Key == key).Binding;

    // Reading happens now so type errors surface at load time; the builder call is deferred to ApplyTo.
    private static ValueBinding One<T>(Func<TomlValueReader, T> read, Action<SandboxPolicyBuilder, T, string> set) =>
        new((v, c) =>
        {
            var value = read(v);
            var source = v.Source;
            c.Add(b => set(b, value, source));
        });

    // Each item gets its own source so a bad path or port points at that item, not the key.
    private static ValueBinding Each<T>(string items, Func<TomlValueReader, T> read, Action<SandboxPolicyBuilder, T, string> set) =>
        new((v, c) =>
        {
            foreach (var item in v.Array(items))
            {
                var value = read(item);
                var source = item.Source;
                c.Add(b => set(b, value, source));
            }
        });

    private static BranchAction BranchActionOf(TomlValueReader v) => v.String("one of \"commit\", \"abort\", \"keep\"") switch
    {
        "commit" => BranchAction.Commit,
        "abort" => BranchAction.Abort,
        "keep" => BranchAction.Keep,
        var other => throw v.Error($"expected one of \"commit\", \"abort\", \"keep\", got \"{other}\""),
    };
}
