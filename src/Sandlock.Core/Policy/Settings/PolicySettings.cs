using System.Globalization;
using N = Sandlock.Policy.Settings.SettingNames;
using K = Sandlock.Policy.Settings.ValueKinds;

namespace Sandlock.Policy.Settings;

/// <summary>
/// Every policy setting and what each front door calls it: the CLI's flags, the policy file's keys (in the order
/// <c>sandlock.toml</c> lists them), SandlockExec's parameters and [Sandboxed]'s properties, each mapped once onto
/// <see cref="SandboxPolicyBuilder"/>. A new setting is a model field, a builder method and a row here.
/// </summary>
internal static class PolicySettings
{

    public static PolicySetting Env { get; } = Many(N.Env, K.Assignment, (b, v, s) => b.EnvAssignment(v, s), p => p.Env.Select(e => $"{e.Key}={e.Value}")) with
    { Flag = "--env", FlagValue = "KEY=VALUE", Help = "Set an environment variable", FileKey = ("program", "env") };
    public static PolicySetting Cwd { get; } = One(N.Cwd, K.Path, (b, v, s) => b.Cwd(v, s), p => Given(p.Cwd)) with
    { Flag = "--cwd", FlagValue = "DIR", Help = "Working directory of the command", FileKey = ("program", "cwd") };
    public static PolicySetting Uid { get; } = One(N.Uid, K.Int32, (b, v, s) => b.Uid(v, s), p => Given(p.Uid)) with
    { Flag = "--uid", FlagValue = "N", Help = "User id inside the sandbox", FileKey = ("program", "uid") };
    public static PolicySetting Gid { get; } = One(N.Gid, K.Int32, (b, v, s) => b.Gid(v, s), p => Given(p.Gid)) with
    { FileKey = ("program", "gid") };
    public static PolicySetting CleanEnv { get; } = Switch(N.CleanEnv, (b, v, s) => b.CleanEnv(v, s), p => p.CleanEnv) with
    { Flag = "--clean-env", Help = "Start from a minimal environment (PATH, HOME, USER, TERM, LANG...)", FileKey = ("program", "clean_env"), TaskParameter = "CleanEnv" };
    public static PolicySetting NoCoredump { get; } = Switch(N.NoCoredump, (b, v, s) => b.NoCoredump(v, s), p => p.NoCoredump) with
    { Flag = "--no-coredump", Help = "Never write core dumps", FileKey = ("program", "no_coredump") };
    public static PolicySetting NoHugePages { get; } = Switch(N.NoHugePages, (b, v, s) => b.NoHugePages(v, s), p => p.NoHugePages) with
    { Flag = "--no-huge-pages", Help = "Disable transparent huge pages", FileKey = ("program", "no_huge_pages") };

    public static PolicySetting FsRead { get; } = Many(N.FsRead, K.Path, (b, v, s) => b.FsRead(v, s), p => p.FsReadable) with
    {
        Flag = "--fs-read", FlagAlias = "-r", FlagValue = "PATH", Help = "Allow reading (and executing) under PATH",
        FileKey = ("filesystem", "read"), TaskParameter = "ReadPaths", AttributeProperty = "Read",
    };
    public static PolicySetting FsWrite { get; } = Many(N.FsWrite, K.Path, (b, v, s) => b.FsWrite(v, s), p => p.FsWritable) with
    {
        Flag = "--fs-write", FlagAlias = "-w", FlagValue = "PATH", Help = "Allow writing under PATH (implies read)",
        FileKey = ("filesystem", "write"), TaskParameter = "WritePaths", AttributeProperty = "Write",
    };
    public static PolicySetting FsDeny { get; } = Many(N.FsDeny, K.Path, (b, v, s) => b.FsDeny(v, s), p => p.FsDenied) with
    {
        Flag = "--fs-deny", FlagValue = "PATH", Help = "Deny PATH even inside an allowed tree",
        FileKey = ("filesystem", "deny"), TaskParameter = "DenyPaths", AttributeProperty = "Deny",
    };
    public static PolicySetting Chroot { get; } = One(N.Chroot, K.Path, (b, v, s) => b.Chroot(v, s), p => Given(p.Chroot)) with
    { Flag = "--chroot", FlagValue = "DIR", Help = "Root directory of the command", FileKey = ("filesystem", "chroot") };
    public static PolicySetting FsMount { get; } = Many(N.FsMount, K.Mount, (b, v, s) => b.FsMount(v, s), p => p.FsMounts.Select(m => m.ToString())) with
    { Flag = "--fs-mount", FlagValue = "VIRTUAL:HOST[:ro]", Help = "Show HOST at VIRTUAL", FileKey = ("filesystem", "mount") };
    public static PolicySetting OnExit { get; } = One(N.OnExit, K.Action, (b, v, s) => b.OnExit(v, s), p => p.OnExit == BranchAction.Commit ? [] : [ActionName(p.OnExit)]) with
    { Flag = "--on-exit", FlagValue = "ACTION", Help = "With --workdir, what a run that exits 0 does with its changes: commit, abort or keep (default commit)", FileKey = ("filesystem", "on_exit") };
    public static PolicySetting OnError { get; } = One(N.OnError, K.Action, (b, v, s) => b.OnError(v, s), p => p.OnError == BranchAction.Abort ? [] : [ActionName(p.OnError)]) with
    { Flag = "--on-error", FlagValue = "ACTION", Help = "With --workdir, what a failed run does with its changes: commit, abort or keep (default abort)", FileKey = ("filesystem", "on_error") };

    public static PolicySetting NetAllow { get; } = Many(N.NetAllow, K.NetSpec, (b, v, s) => b.NetAllow(v, s), p => p.NetAllow.Select(NetRuleText)) with
    {
        Flag = "--net-allow", FlagValue = "SPEC", Help = "Allow connecting to HOST:PORT, ADDRESS:PORT, CIDR:PORTS, :PORT or *:PORT (udp:// and icmp:// for datagrams)",
        FileKey = ("network", "allow"), TaskParameter = "NetAllow", AttributeProperty = "NetAllow",
    };
    public static PolicySetting NetDeny { get; } = Many(N.NetDeny, K.NetSpec, (b, v, s) => b.NetDeny(v, s), p => p.NetDeny.Select(NetRuleText)) with
    { Flag = "--net-deny", FlagValue = "SPEC", Help = "Deny connecting to ADDRESS:PORTS, CIDR:PORTS or :PORT", FileKey = ("network", "deny") };
    public static PolicySetting NetAllowBind { get; } = Many(N.NetAllowBind, K.Ports, (b, v, s) => b.NetAllowBind(v, s), p => p.NetBind.Select(Number)) with
    { Flag = "--net-allow-bind", FlagValue = "PORTS", Help = "Allow TCP bind on PORTS (80,443 or 8000-8010)", FileKey = ("network", "allow_bind") };
    public static PolicySetting NetDenyBind { get; } = Many(N.NetDenyBind, K.Ports, (b, v, s) => b.NetDenyBind(v, s), p => p.NetDenyBind.Select(Number)) with
    { Flag = "--net-deny-bind", FlagValue = "PORTS", Help = "Deny TCP bind on PORTS", FileKey = ("network", "deny_bind") };
    public static PolicySetting PortRemap { get; } = Switch(N.PortRemap, (b, v, s) => b.PortRemap(v, s), p => p.PortRemap) with
    {
        Flag = "--port-remap", Help = "Give the sandbox its own port space: a port in use elsewhere is bound as a free one, and reported",
        FileKey = ("network", "port_remap"),
    };

    public static PolicySetting HttpAllow { get; } = Many(N.HttpAllow, K.HttpRule, (b, v, s) => b.HttpAllow(v, s), p => p.HttpAllow.Select(r => r.ToString())) with
    {
        Flag = "--http-allow", FlagValue = "RULE",
        Help = "Allow HTTP requests matching 'METHOD HOST/PATH' ('*' for any method or host; a path ending in * is a prefix); others get 403",
        FileKey = ("http", "allow"), TaskParameter = "HttpAllow", AttributeProperty = "HttpAllow",
    };
    public static PolicySetting HttpDeny { get; } = Many(N.HttpDeny, K.HttpRule, (b, v, s) => b.HttpDeny(v, s), p => p.HttpDeny.Select(r => r.ToString())) with
    { Flag = "--http-deny", FlagValue = "RULE", Help = "Deny HTTP requests matching 'METHOD HOST/PATH' (wins over --http-allow)", FileKey = ("http", "deny") };
    public static PolicySetting HttpPort { get; } = Many(N.HttpPort, K.Ports, (b, v, s) => b.HttpPort(v, s), p => p.HttpPorts.Select(Number)) with
    { Flag = "--http-port", FlagValue = "PORT", Help = "TCP port whose connections go through the HTTP proxy (default: 80 and 443)", FileKey = ("http", "ports") };
    public static PolicySetting HttpAuth { get; } = Many(N.HttpAuth, K.Credential, (b, v, s) => b.HttpAuth(v, s), p => p.HttpAuth.Select(a => $"{a.Key}={a.Value}")) with
    {
        Flag = "--http-auth", FlagValue = "HOST=ENVVAR",
        Help = "Send ENVVAR's value as HOST's Authorization header; ENVVAR is kept out of the sandbox", FileKey = ("http", "auth"),
    };

    public static PolicySetting ExtraAllowSyscall { get; } = Many(N.ExtraAllowSyscall, K.SyscallGroup, (b, v, s) => b.ExtraAllowSyscall(v, s), p => p.ExtraAllowSyscalls) with
    { Flag = "--extra-allow-syscall", FlagValue = "GROUP", Help = "Re-allow a denied syscall group (sysv_ipc)", FileKey = ("syscalls", "extra_allow") };
    public static PolicySetting ExtraDenySyscall { get; } = Many(N.ExtraDenySyscall, K.Syscall, (b, v, s) => b.ExtraDenySyscall(v, s), p => p.ExtraDenySyscalls) with
    { Flag = "--extra-deny-syscall", FlagValue = "NAME", Help = "Deny this syscall too", FileKey = ("syscalls", "extra_deny") };

    public static PolicySetting MaxMemory { get; } = One(N.MaxMemory, K.Size, (b, v, s) => b.MaxMemory(v, s), p => Given(p.MaxMemory?.Bytes)) with
    {
        Flag = "--max-memory", FlagAlias = "-m", FlagValue = "SIZE", Help = "Memory limit, e.g. 512M",
        FileKey = ("limits", "memory"), TaskParameter = "MaxMemory", AttributeProperty = "MaxMemory",
    };
    public static PolicySetting MaxProcesses { get; } = One(N.MaxProcesses, K.Int32, (b, v, s) => b.MaxProcesses(v, s), p => Given(p.MaxProcesses)) with
    {
        Flag = "--max-processes", FlagAlias = "-P", FlagValue = "N", Help = "Process limit",
        FileKey = ("limits", "processes"), TaskParameter = "MaxProcesses", AttributeProperty = "MaxProcesses",
    };
    public static PolicySetting MaxOpenFiles { get; } = One(N.MaxOpenFiles, K.Int32, (b, v, s) => b.MaxOpenFiles(v, s), p => Given(p.MaxOpenFiles)) with
    { Flag = "--max-open-files", FlagValue = "N", Help = "Open file limit (RLIMIT_NOFILE)", FileKey = ("limits", "open_files") };
    public static PolicySetting Cpu { get; } = One(N.Cpu, K.Int32, (b, v, s) => b.Cpu(v, s), p => Given(p.MaxCpu)) with
    { Flag = "--cpu", FlagAlias = "-c", FlagValue = "PCT", Help = "CPU share, 1-100", FileKey = ("limits", "cpu") };
    public static PolicySetting MaxDisk { get; } = One(N.MaxDisk, K.Size, (b, v, s) => b.MaxDisk(v, s), p => Given(p.MaxDisk?.Bytes)) with
    { Flag = "--max-disk", FlagValue = "SIZE", Help = "With --workdir, how much the changes may grow (e.g. 1G); a write past it fails with ENOSPC", FileKey = ("limits", "disk") };
    public static PolicySetting GpuDevices { get; } = One(N.GpuDevices, K.Numbers, (b, v, s) => b.GpuDevices(v, s), p => p.GpuDevices is { } devices ? [string.Join(',', devices)] : []) with
    { FileKey = ("limits", "gpu_devices") };
    public static PolicySetting CpuCores { get; } = One(N.CpuCores, K.Numbers, (b, v, s) => b.CpuCores(v, s), p => p.CpuCores is { } cores ? [string.Join(',', cores)] : []) with
    { Flag = "--cpu-cores", FlagValue = "LIST", Help = "CPU cores to run on, e.g. 0,1", FileKey = ("limits", "cpu_cores") };
    public static PolicySetting NumCpus { get; } = One(N.NumCpus, K.Int32, (b, v, s) => b.NumCpus(v, s), p => Given(p.NumCpus)) with
    { Flag = "--num-cpus", FlagValue = "N", Help = "CPUs the command sees", FileKey = ("limits", "num_cpus") };

    public static PolicySetting RandomSeed { get; } = One(N.RandomSeed, K.Seed, (b, v, s) => b.RandomSeed(v, s), p => Given(p.RandomSeed)) with
    {
        Flag = "--random-seed", FlagValue = "N", Help = "Seed for the command's randomness",
        FileKey = ("determinism", "random_seed"), TaskParameter = "RandomSeed", AttributeProperty = "RandomSeed",
    };
    public static PolicySetting TimeStart { get; } = One(N.TimeStart, K.Time, (b, v, s) => b.TimeStart(v, s), p => Given(p.TimeStart?.ToString("O", CultureInfo.InvariantCulture))) with
    {
        Flag = "--time-start", FlagValue = "ISO8601", Help = "Virtual clock start",
        FileKey = ("determinism", "time_start"), TaskParameter = "TimeStart", AttributeProperty = "TimeStart",
    };
    public static PolicySetting DeterministicDirs { get; } = Switch(N.DeterministicDirs, (b, v, s) => b.DeterministicDirs(v, s), p => p.DeterministicDirs) with
    {
        Flag = "--deterministic-dirs", Help = "List directories in sorted order",
        FileKey = ("determinism", "deterministic_dirs"), TaskParameter = "DeterministicDirs", AttributeProperty = "DeterministicDirs",
    };
    public static PolicySetting NoRandomizeMemory { get; } = Switch(N.NoRandomizeMemory, (b, v, s) => b.NoRandomizeMemory(v, s), p => p.NoRandomizeMemory) with
    { Flag = "--no-randomize-memory", Help = "Disable address space randomization", FileKey = ("determinism", "no_randomize_memory") };

    public static PolicySetting Workdir { get; } = One(N.Workdir, K.Path, (b, v, s) => b.Workdir(v, s), p => Given(p.Workdir)) with
    {
        Flag = "--workdir", FlagValue = "DIR", Help = "Copy-on-write working directory: writes under DIR go to a private layer, applied when the run ends",
        FileKey = ("config", "workdir"), TaskParameter = "Workdir", AttributeProperty = "Workdir",
    };
    public static PolicySetting FsStorage { get; } = One(N.FsStorage, K.Path, (b, v, s) => b.FsStorage(v, s), p => Given(p.FsStorage)) with
    { Flag = "--fs-storage", FlagValue = "DIR", Help = "Where copy-on-write changes are kept (default: a private folder under the temp dir)", FileKey = ("config", "fs_storage") };
    public static PolicySetting HttpCa { get; } = One(N.HttpCa, K.Path, (b, v, s) => b.HttpCa(v, s), p => Given(p.HttpCa)) with
    { Flag = "--http-ca", FlagValue = "PATH", Help = "CA certificate (PEM) for HTTPS interception (default: a CA made for the sandbox)", FileKey = ("config", "http_ca") };
    public static PolicySetting HttpKey { get; } = One(N.HttpKey, K.Path, (b, v, s) => b.HttpKey(v, s), p => Given(p.HttpKey)) with
    { Flag = "--http-key", FlagValue = "PATH", Help = "The --http-ca certificate's private key (PEM)", FileKey = ("config", "http_key") };

    public static PolicySetting Name { get; } = One(N.Name, K.SandboxName, (b, v, s) => b.Name(v, s), p => Given(p.Name)) with
    { Flag = "--name", FlagValue = "NAME", Help = "Sandbox name" };
    public static PolicySetting NoSupervisor { get; } = Switch(N.NoSupervisor, (b, v, s) => b.NoSupervisor(v, s), p => p.NoSupervisor) with
    { Flag = "--no-supervisor", Help = "Run without the seccomp user-notification supervisor" };
    public static PolicySetting AllowDegraded { get; } = Many(N.AllowDegraded, K.Protection, (b, v, s) => b.AllowDegraded(v, s), p => p.AllowDegraded.Select(ProtectionNames.Name).Order(StringComparer.Ordinal)) with
    {
        Flag = "--allow-degraded", FlagValue = "PROTECTION",
        Help = $"Run even if the kernel lacks PROTECTION: {string.Join(", ", ProtectionNames.All)}, or landlock for all of Landlock",
    };
    public static PolicySetting Disable { get; } = Many(N.Disable, K.Protection, (b, v, s) => b.Disable(v, s), p => p.Disabled.Select(ProtectionNames.Name).Order(StringComparer.Ordinal)) with
    { Flag = "--disable", FlagValue = "PROTECTION", Help = "Do not enforce PROTECTION (the names of --allow-degraded)" };

    /// <summary>Every setting, policy-file settings in the file's section and key order.</summary>
    public static IReadOnlyList<PolicySetting> All { get; } =
    [
        Env, Cwd, Uid, Gid, CleanEnv, NoCoredump, NoHugePages,
        FsRead, FsWrite, FsDeny, Chroot, FsMount, OnExit, OnError,
        NetAllow, NetDeny, NetAllowBind, NetDenyBind, PortRemap,
        HttpAllow, HttpDeny, HttpPort, HttpAuth,
        ExtraAllowSyscall, ExtraDenySyscall,
        MaxMemory, MaxProcesses, MaxOpenFiles, Cpu, MaxDisk, GpuDevices, CpuCores, NumCpus,
        RandomSeed, TimeStart, DeterministicDirs, NoRandomizeMemory,
        Workdir, FsStorage, HttpCa, HttpKey,
        Name, NoSupervisor, AllowDegraded, Disable,
    ];

    /// <summary>The settings a front door offers, in table order.</summary>
    public static IEnumerable<PolicySetting> In(FrontDoor door) => All.Where(s => s.NameIn(door) is not null);

    /// <summary>The setting a front door calls <paramref name="name"/>, or null.</summary>
    public static PolicySetting? Named(FrontDoor door, string name) =>
        door == FrontDoor.PolicyFile
            ? throw new ArgumentException("policy file keys are found by section and key", nameof(door))
            : All.FirstOrDefault(s => s.NameIn(door) == name);

    /// <summary>
    /// Applies a front door's values by name (a parameter, a property): lists add up, a later single value replaces an
    /// earlier one, a switch given false is a switch not given (a task or an attribute cannot tell unset from false).
    /// </summary>
    public static void ApplyAll(SandboxPolicyBuilder builder, FrontDoor door, IEnumerable<(string Name, string Value)> values, Func<string, string> sourceOf)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var (name, value) in values)
        {
            var setting = Named(door, name) ?? throw new ArgumentException($"no policy setting is called {name} in {door}", nameof(values));
            if (setting.Shape == SettingShape.Switch && !ValueKinds.Switch.Parse(value, sourceOf(name))) continue;
            if (setting.Shape != SettingShape.Many && string.IsNullOrWhiteSpace(value)) continue;
            setting.Apply(builder, value, sourceOf(name));
        }
    }

    private static PolicySetting<T> One<T>(string name, ValueKind<T> kind, Action<SandboxPolicyBuilder, T, string> set, Func<SandboxPolicy, IEnumerable<string>> values) =>
        new(name, SettingShape.One, kind, set) { ValuesIn = values };
    private static PolicySetting<T> Many<T>(string name, ValueKind<T> kind, Action<SandboxPolicyBuilder, T, string> set, Func<SandboxPolicy, IEnumerable<string>> values) =>
        new(name, SettingShape.Many, kind, set) { ValuesIn = values };
    private static PolicySetting<bool> Switch(string name, Action<SandboxPolicyBuilder, bool, string> set, Func<SandboxPolicy, bool> on) =>
        new(name, SettingShape.Switch, ValueKinds.Switch, set) { ValuesIn = p => on(p) ? ["true"] : [] };

    private static IEnumerable<string> Given(string? value) => value is null ? [] : [value];
    private static IEnumerable<string> Given<T>(T? value) where T : struct, IFormattable =>
        value is { } v ? [v.ToString(null, CultureInfo.InvariantCulture)] : [];
    private static string Number(ushort port) => port.ToString(CultureInfo.InvariantCulture);
    private static string ActionName(BranchAction action) => action.ToString().ToLowerInvariant();

    /// <summary>As <see cref="NetRule.Parse"/> reads it: an ICMP rule has no port, an IPv6 address is bracketed.</summary>
    private static string NetRuleText(NetRule rule)
    {
        var prefix = rule.Protocol == NetProtocol.Tcp ? "" : rule.Protocol.ToString().ToLowerInvariant() + "://";
        var host = rule.Host is null ? "*" : rule.Host.Contains(':') ? $"[{rule.Host}]" : rule.Host;
        if (rule.Protocol == NetProtocol.Icmp) return prefix + host;
        return $"{prefix}{host}:{(rule.AnyPort ? "*" : string.Join(',', rule.Ports))}";
    }
}
