using System.CommandLine;
using System.Globalization;
using Sandlock.Policy;

namespace Sandlock.Cli;

/// <summary>Applies the flags of <c>sandlock run</c> to a policy builder; each value names its flag as its source.</summary>
internal static class PolicyFromFlags
{
    public static void Apply(ParseResult parsed, RunOptions o, SandboxPolicyBuilder b)
    {
        Each(parsed, o.FsRead, (v, s) => b.FsRead(v, s));
        Each(parsed, o.FsWrite, (v, s) => b.FsWrite(v, s));
        Each(parsed, o.FsDeny, (v, s) => b.FsDeny(v, s));
        Each(parsed, o.ExtraDenySyscall, (v, s) => b.ExtraDenySyscall(v, s));
        Each(parsed, o.ExtraAllowSyscall, (v, s) => b.ExtraAllowSyscall(v, s));
        Each(parsed, o.NetAllow, (v, s) => b.NetAllow(v, s));
        Each(parsed, o.NetDeny, (v, s) => b.NetDeny(v, s));
        Each(parsed, o.NetAllowBind, (v, s) => b.NetAllowBind(v, s));
        Each(parsed, o.NetDenyBind, (v, s) => b.NetDenyBind(v, s));
        Each(parsed, o.HttpAllow, (v, s) => b.HttpAllow(v, s));
        Each(parsed, o.HttpDeny, (v, s) => b.HttpDeny(v, s));
        Each(parsed, o.HttpPort, (v, s) => b.HttpPort(v, s));
        Each(parsed, o.HttpAuth, (v, s) => b.HttpAuth(v, s));
        Each(parsed, o.FsMount, (v, s) => b.FsMount(v, s));
        Each(parsed, o.Env, (v, s) => b.Env(v, s));
        Each(parsed, o.AllowDegraded, (v, s) => b.AllowDegraded(v, s));
        Each(parsed, o.Disable, (v, s) => b.Disable(v, s));

        One(parsed, o.HttpCa, (v, s) => b.HttpCa(v, s));
        One(parsed, o.HttpKey, (v, s) => b.HttpKey(v, s));
        One(parsed, o.MaxMemory, (v, s) => b.MaxMemory(v, s));
        One(parsed, o.MaxDisk, (v, s) => b.MaxDisk(v, s));
        One(parsed, o.CpuCores, (v, s) => b.CpuCores(ParseIntList(v, s), s));
        One(parsed, o.TimeStart, (v, s) => b.TimeStart(v, s));
        One(parsed, o.Workdir, (v, s) => b.Workdir(v, s));
        One(parsed, o.FsStorage, (v, s) => b.FsStorage(v, s));
        One(parsed, o.OnExit, (v, s) => b.OnExit(ParseAction(v, s), s));
        One(parsed, o.OnError, (v, s) => b.OnError(ParseAction(v, s), s));
        One(parsed, o.Cwd, (v, s) => b.Cwd(v, s));
        One(parsed, o.Chroot, (v, s) => b.Chroot(v, s));
        One(parsed, o.Name, (v, s) => b.Name(v, s));

        if (parsed.GetValue(o.MaxProcesses) is { } procs) b.MaxProcesses(procs, Name(o.MaxProcesses));
        if (parsed.GetValue(o.MaxOpenFiles) is { } files) b.MaxOpenFiles(files, Name(o.MaxOpenFiles));
        if (parsed.GetValue(o.Cpu) is { } cpu) b.Cpu(cpu, Name(o.Cpu));
        if (parsed.GetValue(o.NumCpus) is { } cpus) b.NumCpus(cpus, Name(o.NumCpus));
        if (parsed.GetValue(o.Uid) is { } uid) b.Uid(uid, Name(o.Uid));
        if (parsed.GetValue(o.RandomSeed) is { } seed) b.RandomSeed(seed, Name(o.RandomSeed));

        if (parsed.GetValue(o.NoRandomizeMemory)) b.NoRandomizeMemory(true, Name(o.NoRandomizeMemory));
        if (parsed.GetValue(o.NoHugePages)) b.NoHugePages(true, Name(o.NoHugePages));
        if (parsed.GetValue(o.NoCoredump)) b.NoCoredump(true, Name(o.NoCoredump));
        if (parsed.GetValue(o.DeterministicDirs)) b.DeterministicDirs(true, Name(o.DeterministicDirs));
        if (parsed.GetValue(o.CleanEnv)) b.CleanEnv(true, Name(o.CleanEnv));
        if (parsed.GetValue(o.PortRemap)) b.PortRemap(true, Name(o.PortRemap));
        if (parsed.GetValue(o.NoSupervisor)) b.NoSupervisor(true, Name(o.NoSupervisor));
    }

    private static string Name(Option option) => option.Name;

    private static void Each(ParseResult parsed, Option<string[]> option, Action<string, string> apply)
    {
        foreach (var value in parsed.GetValue(option) ?? []) apply(value, option.Name);
    }

    private static void One(ParseResult parsed, Option<string?> option, Action<string, string> apply)
    {
        if (parsed.GetValue(option) is { } value) apply(value, option.Name);
    }

    private static BranchAction ParseAction(string value, string source) =>
        Enum.TryParse<BranchAction>(value, ignoreCase: true, out var action) && !int.TryParse(value, out _)
            ? action
            : throw new PolicyException(source, $"invalid action '{value}': expected commit, abort or keep");

    private static IEnumerable<int> ParseIntList(string value, string source) =>
        value.Split(',').Select(part => int.TryParse(part.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new PolicyException(source, $"invalid list '{value}': expected numbers separated by commas"));
}
