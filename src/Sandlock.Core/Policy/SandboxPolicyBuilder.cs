using Sandlock.Interop;
using System.Collections.Immutable;
using System.Globalization;
using Sandlock.Confinement.Seccomp;
using Sandlock.Policy;
using Sandlock.Policy.Settings;

namespace Sandlock;

/// <summary>
/// Fluent, validating builder for <see cref="SandboxPolicy"/>. Every setter takes an optional <c>source</c>
/// (a flag such as <c>--fs-read</c>, or <c>sandlock.toml:12:3</c>) that error messages name.
/// </summary>
public sealed class SandboxPolicyBuilder
{
    /// <summary>The kernel's PID_MAX_LIMIT: no pids.max or RLIMIT_NPROC above it means anything.</summary>
    public const int MaxProcessLimit = 4 * 1024 * 1024;

    /// <summary>Below this, a dynamically linked program cannot load its libraries.</summary>
    public const int MinOpenFiles = 4;

    /// <summary>Linux PATH_MAX, counting the terminating NUL.</summary>
    private const int MaxPathBytes = 4096;

    /// <summary>Below this, no program gets as far as main (the limit is RLIMIT_DATA and resident memory).</summary>
    public static readonly ByteSize MinMemory = new(1L << 20);

    // RLIMIT_NOFILE cannot be raised above fs.nr_open, even by root.
    private static readonly Lazy<int> OpenFileCeiling = new(() =>
        int.TryParse(File.Exists("/proc/sys/fs/nr_open") ? File.ReadAllText("/proc/sys/fs/nr_open").Trim() : "", out var n) ? n : 1 << 20);

    private SandboxPolicy _policy;
    private readonly SandboxPolicy _start;
    private readonly Dictionary<string, string> _sources = new(StringComparer.Ordinal);
    // Paths as given: under a chroot they name files inside it, resolved at Build once the chroot is known.
    private readonly List<(string Field, string Path, string Source)> _givenPaths = [];

    public SandboxPolicyBuilder() : this(SandboxPolicy.Default) { }

    public SandboxPolicyBuilder(SandboxPolicy start) => _policy = _start = start;

    /// <summary>Directory that relative paths are resolved against (a policy file's folder); default: the current directory.</summary>
    public string? BaseDirectory { get; set; }

    /// <summary>The chroot set so far (a host path), for callers whose defaults depend on it; null when none.</summary>
    public string? ChrootDirectory => _policy.Chroot;

    /// <summary>The mounts set so far, for callers whose defaults depend on what the child sees.</summary>
    public ImmutableArray<FsMount> Mounts => _policy.FsMounts;

    /// <summary>The copy-on-write workdir set so far, for callers whose handling of the run depends on it; null when none.</summary>
    internal string? WorkdirDirectory => _policy.Workdir;

    /// <summary>
    /// The policy as set so far, neither validated nor with its paths read inside a chroot: for callers whose next
    /// settings depend on a flag or the environment set before (<see cref="Build"/> checks every path each time).
    /// </summary>
    internal SandboxPolicy Unvalidated => _policy;

    private SandboxPolicyBuilder Set(string field, string? source, Func<SandboxPolicy, SandboxPolicy> change)
    {
        _policy = change(_policy);
        _sources[field] = source ?? field;
        return this;
    }

    private string SourceOf(string field) => _sources.TryGetValue(field, out var s) ? s : field;

    private SandboxPolicyBuilder SetPath(string field, string path, string? source, Func<SandboxPolicy, string, SandboxPolicy> change)
    {
        var full = FullPath(path, source ?? field);
        _givenPaths.Add((field, path, source ?? field));
        return Set(field, source, p => change(p, full));
    }

    private string FullPath(string path, string source)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new PolicyException(source, "empty path");
        if (path.Contains('\0')) throw new PolicyException(source, $"invalid path '{path}': it contains a NUL character");
        // .NET turns bytes that are not UTF-8 (in argv) into U+FFFD: such a path would name another file, and a
        // denied one would stay open.
        if (path.Contains('\uFFFD'))
            throw new PolicyException(source, $"invalid path '{path}': it holds bytes that are not UTF-8 (shown as U+FFFD), which sandlock cannot name");
        // PATH_MAX counts bytes, with the terminating NUL; the kernel refuses longer names with ENAMETOOLONG.
        if (System.Text.Encoding.UTF8.GetByteCount(path) >= MaxPathBytes)
            throw new PolicyException(source, $"path too long ({System.Text.Encoding.UTF8.GetByteCount(path)} bytes): expected at most {MaxPathBytes - 1} bytes");
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
            path = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + path[1..];
        return Path.TrimEndingDirectorySeparator(Path.GetFullPath(path, BaseDirectory ?? Environment.CurrentDirectory)) is { Length: > 0 } p ? p : "/";
    }

    // Filesystem
    public SandboxPolicyBuilder FsRead(string path, string? source = null) =>
        SetPath(SettingNames.FsRead, path, source, (p, full) => p with { FsReadable = p.FsReadable.Add(full) });
    public SandboxPolicyBuilder FsWrite(string path, string? source = null) =>
        SetPath(SettingNames.FsWrite, path, source, (p, full) => p with { FsWritable = p.FsWritable.Add(full) });
    public SandboxPolicyBuilder FsDeny(string path, string? source = null) =>
        SetPath(SettingNames.FsDeny, path, source, (p, full) => p with { FsDenied = p.FsDenied.Add(full) });

    // Syscalls
    public SandboxPolicyBuilder ExtraDenySyscall(string name, string? source = null) =>
        Set(SettingNames.ExtraDenySyscall, source, p => p with { ExtraDenySyscalls = p.ExtraDenySyscalls.Add(name.Trim()) });
    public SandboxPolicyBuilder ExtraAllowSyscall(string group, string? source = null) =>
        Set(SettingNames.ExtraAllowSyscall, source, p => p with { ExtraAllowSyscalls = p.ExtraAllowSyscalls.Add(group.Trim()) });

    // Network
    public SandboxPolicyBuilder NetAllow(string spec, string? source = null) =>
        Set(SettingNames.NetAllow, source, p => p with { NetAllow = p.NetAllow.Add(NetRule.Parse(spec, source ?? SettingNames.NetAllow)) });
    public SandboxPolicyBuilder NetDeny(string spec, string? source = null) =>
        Set(SettingNames.NetDeny, source, p => p with { NetDeny = p.NetDeny.Add(NetRule.Parse(spec, source ?? SettingNames.NetDeny)) });
    public SandboxPolicyBuilder NetAllowBind(string ports, string? source = null) =>
        Set(SettingNames.NetAllowBind, source, p => p with { NetBind = p.NetBind.AddRange(PortList.Parse(ports, source ?? SettingNames.NetAllowBind)) });
    public SandboxPolicyBuilder NetAllowBind(ushort port, string? source = null) => NetAllowBind(port.ToString(CultureInfo.InvariantCulture), source);
    public SandboxPolicyBuilder NetDenyBind(string ports, string? source = null) =>
        Set(SettingNames.NetDenyBind, source, p => p with { NetDenyBind = p.NetDenyBind.AddRange(PortList.Parse(ports, source ?? SettingNames.NetDenyBind)) });
    public SandboxPolicyBuilder PortRemap(bool on = true, string? source = null) =>
        Set(SettingNames.PortRemap, source, p => p with { PortRemap = on });

    // HTTP
    public SandboxPolicyBuilder HttpAllow(string rule, string? source = null) =>
        Set(SettingNames.HttpAllow, source, p => p with { HttpAllow = p.HttpAllow.Add(HttpRule.Parse(rule, source ?? SettingNames.HttpAllow)) });
    public SandboxPolicyBuilder HttpDeny(string rule, string? source = null) =>
        Set(SettingNames.HttpDeny, source, p => p with { HttpDeny = p.HttpDeny.Add(HttpRule.Parse(rule, source ?? SettingNames.HttpDeny)) });
    public SandboxPolicyBuilder HttpPort(string ports, string? source = null) =>
        Set(SettingNames.HttpPort, source, p => p with { HttpPorts = p.HttpPorts.AddRange(PortList.Parse(ports, source ?? SettingNames.HttpPort)) });
    public SandboxPolicyBuilder HttpCa(string path, string? source = null) =>
        Set(SettingNames.HttpCa, source, p => p with { HttpCa = FullPath(path, source ?? SettingNames.HttpCa) });
    public SandboxPolicyBuilder HttpKey(string path, string? source = null) =>
        Set(SettingNames.HttpKey, source, p => p with { HttpKey = FullPath(path, source ?? SettingNames.HttpKey) });
    /// <summary><c>HOST=ENVVAR</c>: the proxy sends ENVVAR's value (from this process's environment) as HOST's
    /// Authorization header (<c>Bearer VALUE</c> unless the value names its scheme); ENVVAR stays out of the sandbox.</summary>
    public SandboxPolicyBuilder HttpAuth(string assignment, string? source = null)
    {
        var where = source ?? SettingNames.HttpAuth;
        var eq = assignment.IndexOf('=');
        var host = eq < 0 ? "" : assignment[..eq].Trim().ToLowerInvariant();
        var variable = eq < 0 ? "" : assignment[(eq + 1)..].Trim();
        if (host.Length == 0 || variable.Length == 0 || host.Contains('*') || host.Contains('/'))
            throw new PolicyException(where, $"invalid HTTP credential '{assignment}': expected HOST=ENVVAR, e.g. registry.example.com=REGISTRY_TOKEN");
        if (!variable.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            throw new PolicyException(where, $"invalid HTTP credential '{assignment}': '{variable}' is not an environment variable name");
        // Keyed as the proxy names the host of a request, so a credential for bücher.example goes to xn--bcher-kva.example.
        try { host = HttpRule.CanonicalHost(host); }
        catch (FormatException e) { throw new PolicyException(where, $"invalid HTTP credential '{assignment}': {e.Message}"); }
        return Set(SettingNames.HttpAuth, source, p => p with { HttpAuth = p.HttpAuth.SetItem(host, variable) });
    }

    // Limits
    public SandboxPolicyBuilder MaxMemory(string size, string? source = null) =>
        Set(SettingNames.MaxMemory, source, p => p with { MaxMemory = ByteSize.Parse(size, source ?? SettingNames.MaxMemory) });
    public SandboxPolicyBuilder MaxMemory(ByteSize size, string? source = null) =>
        Set(SettingNames.MaxMemory, source, p => p with { MaxMemory = size });
    public SandboxPolicyBuilder MaxProcesses(int count, string? source = null) =>
        Set(SettingNames.MaxProcesses, source, p => p with { MaxProcesses = count });
    public SandboxPolicyBuilder MaxOpenFiles(int count, string? source = null) =>
        Set(SettingNames.MaxOpenFiles, source, p => p with { MaxOpenFiles = count });
    public SandboxPolicyBuilder Cpu(int percent, string? source = null) =>
        Set(SettingNames.Cpu, source, p => p with { MaxCpu = percent });
    public SandboxPolicyBuilder MaxDisk(string size, string? source = null) =>
        Set(SettingNames.MaxDisk, source, p => p with { MaxDisk = ByteSize.Parse(size, source ?? SettingNames.MaxDisk) });
    public SandboxPolicyBuilder GpuDevices(IEnumerable<int> devices, string? source = null) =>
        Set(SettingNames.GpuDevices, source, p => p with { GpuDevices = [.. devices] });
    public SandboxPolicyBuilder CpuCores(IEnumerable<int> cores, string? source = null) =>
        Set(SettingNames.CpuCores, source, p => p with { CpuCores = [.. cores] });
    public SandboxPolicyBuilder NumCpus(int count, string? source = null) =>
        Set(SettingNames.NumCpus, source, p => p with { NumCpus = count });

    // Determinism
    public SandboxPolicyBuilder RandomSeed(ulong seed, string? source = null) =>
        Set(SettingNames.RandomSeed, source, p => p with { RandomSeed = seed });
    public SandboxPolicyBuilder TimeStart(DateTimeOffset start, string? source = null)
    {
        // The virtual clock counts nanoseconds since 1970 in 64 bits.
        if (start < DateTimeOffset.UnixEpoch || start.Year >= 2200)
            throw new PolicyException(source ?? SettingNames.TimeStart, $"time {start:O} is out of range: expected an instant from 1970 to 2199");
        return Set(SettingNames.TimeStart, source, p => p with { TimeStart = start });
    }
    public SandboxPolicyBuilder TimeStart(string iso8601, string? source = null)
    {
        if (!DateTimeOffset.TryParse(iso8601, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var start))
            throw new PolicyException(source ?? SettingNames.TimeStart, $"invalid time '{iso8601}': expected ISO 8601, e.g. 2024-01-01T00:00:00Z");
        return TimeStart(start, source);
    }
    public SandboxPolicyBuilder NoRandomizeMemory(bool on = true, string? source = null) =>
        Set(SettingNames.NoRandomizeMemory, source, p => p with { NoRandomizeMemory = on });
    public SandboxPolicyBuilder NoHugePages(bool on = true, string? source = null) =>
        Set(SettingNames.NoHugePages, source, p => p with { NoHugePages = on });
    public SandboxPolicyBuilder NoCoredump(bool on = true, string? source = null) =>
        Set(SettingNames.NoCoredump, source, p => p with { NoCoredump = on });
    public SandboxPolicyBuilder DeterministicDirs(bool on = true, string? source = null) =>
        Set(SettingNames.DeterministicDirs, source, p => p with { DeterministicDirs = on });
    // Not a setting of any front door: the build task turns it on for every step (a refusal must fail the step).
    internal SandboxPolicyBuilder RecordFilesystemDenials(bool on = true, string? source = null) =>
        Set("record_filesystem_denials", source, p => p with { RecordFilesystemDenials = on });
    // Not a setting of any front door either: a whole test host lists the folders above its tests.
    internal SandboxPolicyBuilder FsListOnly(string path, string? source = null) =>
        SetPath("list_only", path, source, (p, full) => p with { FsListable = p.FsListable.Add(full) });

    // Copy-on-write workspace and mounts
    public SandboxPolicyBuilder FsIsolation(FsIsolation mode, string? source = null) =>
        Set(SettingNames.FsIsolation, source, p => p with { FsIsolation = mode });
    // Canonical: compared with the links /proc shows for the child's cwd and fds.
    public SandboxPolicyBuilder Workdir(string path, string? source = null) =>
        Set(SettingNames.Workdir, source, p => p with { Workdir = FullPath(path, source ?? SettingNames.Workdir) is var full ? LibcPaths.RealPath(full) ?? full : null });
    public SandboxPolicyBuilder FsStorage(string path, string? source = null) =>
        Set(SettingNames.FsStorage, source, p => p with { FsStorage = FullPath(path, source ?? SettingNames.FsStorage) });
    public SandboxPolicyBuilder OnExit(BranchAction action, string? source = null) =>
        Set(SettingNames.OnExit, source, p => p with { OnExit = action });
    public SandboxPolicyBuilder OnError(BranchAction action, string? source = null) =>
        Set(SettingNames.OnError, source, p => p with { OnError = action });
    public SandboxPolicyBuilder FsMount(string spec, string? source = null)
    {
        var mount = Sandlock.FsMount.Parse(spec, source ?? SettingNames.FsMount, host => FullPath(host, source ?? SettingNames.FsMount));
        if (_policy.FsMounts.Any(m => m.VirtualPath == mount.VirtualPath))
            throw new PolicyException(source ?? SettingNames.FsMount, $"invalid mount '{spec}': {mount.VirtualPath} is already a mount point");
        return Set(SettingNames.FsMount, source, p => p with { FsMounts = p.FsMounts.Add(mount) });
    }
    public SandboxPolicyBuilder Chroot(string path, string? source = null) =>
        Set(SettingNames.Chroot, source, p => p with { Chroot = FullPath(path, source ?? SettingNames.Chroot) });

    // Process
    public SandboxPolicyBuilder Cwd(string path, string? source = null) =>
        SetPath(SettingNames.Cwd, path, source, (p, full) => p with { Cwd = full });
    public SandboxPolicyBuilder CleanEnv(bool on = true, string? source = null) =>
        Set(SettingNames.CleanEnv, source, p => p with { CleanEnv = on });
    public SandboxPolicyBuilder Env(string key, string value, string? source = null)
    {
        CheckVariable(key, value, source);
        return Set(SettingNames.Env, source, p => p with { Env = p.Env.SetItem(key, value) });
    }

    /// <summary>Sets each variable as <see cref="Env(string, string, string?)"/> sets one, in one change of the policy.</summary>
    public SandboxPolicyBuilder Env(IEnumerable<KeyValuePair<string, string>> variables, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(variables);
        // One builder, not a policy copy and a new dictionary per variable: a build step sets its whole environment.
        var env = _policy.Env.ToBuilder();
        foreach (var (key, value) in variables)
        {
            CheckVariable(key, value, source);
            env[key] = value;
        }
        var result = env.ToImmutable();
        return Set(SettingNames.Env, source, p => p with { Env = result });
    }

    private static void CheckVariable(string key, string value, string? source)
    {
        if (key.Length == 0 || key.Contains('=') || key.Contains('\0'))
            throw new PolicyException(source ?? SettingNames.Env, $"invalid environment variable name '{key}'");
        if (value.Contains('\0'))
            throw new PolicyException(source ?? SettingNames.Env, $"invalid value for {key}: it contains a NUL character");
    }
    public SandboxPolicyBuilder Env(string assignment) => EnvAssignment(assignment, null);

    // Not an Env overload with a source: Env("NAME", value) would bind to it and read the value as the source.
    internal SandboxPolicyBuilder EnvAssignment(string assignment, string? source)
    {
        var eq = assignment.IndexOf('=');
        if (eq <= 0) throw new PolicyException(source ?? SettingNames.Env, $"invalid environment assignment '{assignment}': expected KEY=VALUE");
        return Env(assignment[..eq], assignment[(eq + 1)..], source);
    }
    public SandboxPolicyBuilder Uid(int uid, string? source = null) => Set(SettingNames.Uid, source, p => p with { Uid = uid });
    public SandboxPolicyBuilder Gid(int gid, string? source = null) => Set(SettingNames.Gid, source, p => p with { Gid = gid });
    public SandboxPolicyBuilder Name(string name, string? source = null)
    {
        // It becomes the hostname: the same characters a hostname may have.
        if (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
            throw new PolicyException(source ?? SettingNames.Name, $"invalid name '{name}': expected 1-64 letters, digits, '-', '.' or '_'");
        return Set(SettingNames.Name, source, p => p with { Name = name });
    }

    public SandboxPolicyBuilder NoSupervisor(bool on = true, string? source = null) =>
        Set(SettingNames.NoSupervisor, source, p => p with { NoSupervisor = on });

    // Waivers
    public SandboxPolicyBuilder AllowDegraded(string protection, string? source = null) =>
        Set(SettingNames.AllowDegraded, source, p => p with { AllowDegraded = p.AllowDegraded.Union(ProtectionNames.ParseMany(protection, source ?? SettingNames.AllowDegraded)) });
    public SandboxPolicyBuilder Disable(string protection, string? source = null) =>
        Set(SettingNames.Disable, source, p => p with { Disabled = p.Disabled.Union(ProtectionNames.ParseMany(protection, source ?? SettingNames.Disable)) });

    /// <summary>Validates and returns the policy; throws <see cref="PolicyException"/> naming the offending source.</summary>
    public SandboxPolicy Build()
    {
        var p = _policy.Chroot is null ? _policy : InsideChroot(_policy);
        Validate(p);
        RejectUnsupported(p);
        return p;
    }

    /// <summary>The policy with its paths read as paths inside the chroot (virtual, absolute, never above its root).</summary>
    private SandboxPolicy InsideChroot(SandboxPolicy p)
    {
        string Inside((string Field, string Path, string Source) given, string cwd)
        {
            if (given.Path == "~" || given.Path.StartsWith("~/", StringComparison.Ordinal))
                throw new PolicyException(given.Source, $"'{given.Path}': under chroot paths are inside the chroot, where ~ means nothing; give an absolute path");
            return ChrootPaths.Virtual(given.Path, cwd)
                ?? throw new PolicyException(given.Source, $"'{given.Path}' leaves the chroot: under chroot a path is inside it and may not climb above its root with '..'");
        }
        var cwdGiven = _givenPaths.LastOrDefault(g => g.Field == SettingNames.Cwd);
        var cwd = cwdGiven.Path is null ? _start.Cwd : Inside(cwdGiven, "/");
        ImmutableArray<string> Paths(ImmutableArray<string> started, string field) =>
            started.AddRange(_givenPaths.Where(g => g.Field == field).Select(g => Inside(g, cwd ?? "/")));
        return p with
        {
            Cwd = cwd,
            FsReadable = Paths(_start.FsReadable, SettingNames.FsRead),
            FsWritable = Paths(_start.FsWritable, SettingNames.FsWrite),
            FsDenied = Paths(_start.FsDenied, SettingNames.FsDeny),
        };
    }

    private void Validate(SandboxPolicy p)
    {
        if (p.MaxCpu is { } cpu && cpu is < 1 or > 100)
            throw new PolicyException(SourceOf(SettingNames.Cpu), $"invalid CPU percentage {cpu}: expected 1 to 100");
        if (p.MaxProcesses is { } procs && procs < 1)
            throw new PolicyException(SourceOf(SettingNames.MaxProcesses), $"invalid process limit {procs}: expected at least 1");
        if (p.MaxProcesses is { } many && many > MaxProcessLimit)
            throw new PolicyException(SourceOf(SettingNames.MaxProcesses), $"invalid process limit {many}: expected at most {MaxProcessLimit} (the kernel's PID_MAX_LIMIT)");
        if (p.MaxOpenFiles is { } files && files < MinOpenFiles)
            throw new PolicyException(SourceOf(SettingNames.MaxOpenFiles), $"invalid open-file limit {files}: expected at least {MinOpenFiles} (stdin, stdout, stderr and one for the loader to open each library)");
        if (p.MaxOpenFiles is { } most && most > OpenFileCeiling.Value)
            throw new PolicyException(SourceOf(SettingNames.MaxOpenFiles), $"invalid open-file limit {most}: expected at most {OpenFileCeiling.Value} (the kernel's fs.nr_open)");
        if (p.MaxMemory is { } memory && memory.Bytes < MinMemory.Bytes)
            throw new PolicyException(SourceOf(SettingNames.MaxMemory), $"invalid memory limit {memory}: expected at least {MinMemory} (a program's loader and C library alone take about that much)");
        if (p.CpuCores is { } cores && (cores.IsEmpty || cores.Any(c => c is < 0 or > 4095)))
            throw new PolicyException(SourceOf(SettingNames.CpuCores), "invalid CPU list: expected CPU numbers from 0, e.g. 0,1");
        if (p.Uid is < 0 || p.Gid is < 0)
            throw new PolicyException(SourceOf(p.Uid is < 0 ? SettingNames.Uid : SettingNames.Gid), "invalid id: expected a number from 0");
        if (p.NumCpus is { } n && n < 1)
            throw new PolicyException(SourceOf(SettingNames.NumCpus), $"invalid CPU count {n}: expected at least 1");
        if (p.FsIsolation != Sandlock.FsIsolation.None && p.Workdir is null)
            throw new PolicyException(SourceOf(SettingNames.FsIsolation), "fs_isolation requires a workdir");
        ValidateWorkspace(p);
        if ((p.HttpCa is null) != (p.HttpKey is null))
            throw new PolicyException(SourceOf(p.HttpCa is null ? SettingNames.HttpKey : SettingNames.HttpCa), "http_ca and http_key must be given together");
        ValidateHttp(p);
        foreach (var name in p.ExtraDenySyscalls)
            if (!SyscallTable.Current.Contains(name))
                throw new PolicyException(SourceOf(SettingNames.ExtraDenySyscall), $"unknown syscall name '{name}' for {SyscallTable.Current.Architecture}");
        foreach (var group in p.ExtraAllowSyscalls)
            if (!SyscallGroups.IsKnown(group))
                throw new PolicyException(SourceOf(SettingNames.ExtraAllowSyscall), $"unknown syscall group '{group}': expected one of {string.Join(", ", SyscallGroups.Names)}");
        foreach (var rule in p.NetDeny)
            if (rule.Host is { } host && !System.Net.IPNetwork.TryParse(host, out _) && !System.Net.IPAddress.TryParse(host, out _))
                throw new PolicyException(SourceOf(SettingNames.NetDeny), $"invalid deny rule '{rule}': expected an IP address or CIDR block, not a host name");
        if (p.Chroot is { } root && !Directory.Exists(root))
            throw new PolicyException(SourceOf(SettingNames.Chroot), File.Exists(root)
                ? $"not a directory: {root}: expected the directory to use as the command's root"
                : $"directory does not exist: {root}: expected the directory to use as the command's root");
        // Under a chroot or a mount the paths are those the child sees: what must exist is the file behind them.
        Func<string, string> hostPath = ChildRoot.Of(p).HostPathOf;
        var where = p.Chroot is null ? "" : $" inside the chroot {p.Chroot}";
        CheckPathsExist(p.FsReadable, SettingNames.FsRead, hostPath, where);
        CheckPathsExist(p.FsWritable, SettingNames.FsWrite, hostPath, where);
        if (p.Cwd is { } cwd && !Directory.Exists(hostPath(cwd)))
            throw new PolicyException(SourceOf(SettingNames.Cwd), $"working directory does not exist{where}: {cwd}");
    }

    private void ValidateWorkspace(SandboxPolicy p)
    {
        if (p.Workdir is not { } workdir)
        {
            // Each of these acts on the copy-on-write layer of a workdir: without one it would silently do nothing.
            foreach (var (present, field) in new[] { (p.FsStorage is not null, SettingNames.FsStorage), (p.MaxDisk is not null, SettingNames.MaxDisk),
                (p.OnExit != BranchAction.Commit, SettingNames.OnExit), (p.OnError != BranchAction.Abort, SettingNames.OnError) })
                if (present) throw new PolicyException(SourceOf(field), $"{field} needs a workdir, whose copy-on-write changes it governs");
            return;
        }
        if (!Directory.Exists(workdir))
            throw new PolicyException(SourceOf(SettingNames.Workdir), File.Exists(workdir)
                ? $"not a directory: {workdir}: expected the directory whose changes to keep in a copy-on-write layer"
                : $"directory does not exist: {workdir}");
        if (p.Chroot is not null || !p.FsMounts.IsEmpty)
            throw new PolicyException(SourceOf(SettingNames.Workdir),
                $"workdir cannot be combined with {(p.Chroot is not null ? SettingNames.Chroot : SettingNames.FsMount)} (not supported): both rewrite the paths the command sees");
        if (p.MaxDisk is { Bytes: <= 0 } disk)
            throw new PolicyException(SourceOf(SettingNames.MaxDisk), $"invalid disk limit {disk}: expected more than 0 bytes");
        if (p.FsStorage is { } storage && PathTree.IsSameOrUnder(LibcPaths.RealPath(storage) ?? storage, workdir))
            throw new PolicyException(SourceOf(SettingNames.FsStorage), $"fs_storage {storage} lies inside the workdir {workdir}: the changes would change the folder they are kept for");
    }

    private void ValidateHttp(SandboxPolicy p)
    {
        // Interception needs rules to apply: ports, a CA or credentials alone would silently do nothing.
        if (HttpSettings.Applies(p)) return;
        foreach (var (present, field) in new[] { (!p.HttpPorts.IsEmpty, SettingNames.HttpPort), (p.HttpCa is not null, SettingNames.HttpCa), (!p.HttpAuth.IsEmpty, SettingNames.HttpAuth) })
            if (present)
                throw new PolicyException(SourceOf(field), $"{field} needs HTTP rules (http_allow or http_deny), which turn on the HTTP proxy it configures");
    }

    private void CheckPathsExist(ImmutableArray<string> paths, string field, Func<string, string> host, string where)
    {
        foreach (var path in paths)
            if (!File.Exists(host(path)) && !Directory.Exists(host(path)))
                throw new PolicyException(SourceOf(field), $"path does not exist{where}: {path}");
    }

    private void RejectUnsupported(SandboxPolicy p)
    {
        void Refuse(bool present, string field)
        {
            if (present) throw new NotSupportedYetException(SourceOf(field), field);
        }
        Refuse(p.GpuDevices is not null, SettingNames.GpuDevices);
        Refuse(p.FsIsolation != Sandlock.FsIsolation.None, SettingNames.FsIsolation);
    }
}
