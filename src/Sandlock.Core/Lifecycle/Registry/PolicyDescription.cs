using System.Globalization;
using Sandlock.Policy;

namespace Sandlock.Lifecycle.Registry;

/// <summary>A policy as the registry shows it: every setting that differs from the default, under its policy-file key.</summary>
internal static class PolicyDescription
{
    public static List<PolicySetting> Settings(SandboxPolicy p)
    {
        var settings = new List<PolicySetting>();
        void Add(string key, object? value)
        {
            var text = value switch
            {
                null or false => null,
                true => "true",
                IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                _ => value.ToString(),
            };
            if (text is { Length: > 0 }) settings.Add(new PolicySetting(key, text));
        }
        void List<T>(string key, IEnumerable<T>? values) => Add(key, values is null ? null : string.Join(", ", values));

        List("fs_read", p.FsReadable);
        List("fs_write", p.FsWritable);
        List("fs_deny", p.FsDenied);
        List("fs_mount", p.FsMounts);
        Add("chroot", p.Chroot);
        Add("cwd", p.Cwd);
        Add("workdir", p.Workdir);
        List("extra_deny_syscalls", p.ExtraDenySyscalls);
        List("extra_allow_syscalls", p.ExtraAllowSyscalls);
        List("net_allow", p.NetAllow);
        List("net_deny", p.NetDeny);
        List("net_bind", p.NetBind);
        List("net_deny_bind", p.NetDenyBind);
        Add("port_remap", p.PortRemap);
        List("http_allow", p.HttpAllow);
        List("http_deny", p.HttpDeny);
        List("http_port", p.HttpPorts);
        Add("max_memory", p.MaxMemory);
        Add("max_processes", p.MaxProcesses);
        Add("max_open_files", p.MaxOpenFiles);
        Add("max_cpu", p.MaxCpu);
        Add("max_disk", p.MaxDisk);
        Add("cpu_cores", p.CpuCores is { } cores ? string.Join(", ", cores) : null);
        Add("num_cpus", p.NumCpus);
        Add("random_seed", p.RandomSeed);
        Add("time_start", p.TimeStart?.ToString("O", CultureInfo.InvariantCulture));
        Add("no_randomize_memory", p.NoRandomizeMemory);
        Add("no_huge_pages", p.NoHugePages);
        Add("no_coredump", p.NoCoredump);
        Add("deterministic_dirs", p.DeterministicDirs);
        Add("clean_env", p.CleanEnv);
        // Names only: values are often secrets, and the list is readable by any process of the user.
        List("env", p.Env.Keys);
        Add("name", p.Name);
        Add("uid", p.Uid);
        Add("gid", p.Gid);
        Add("no_supervisor", p.NoSupervisor);
        List("allow_degraded", p.AllowDegraded.Select(ProtectionNames.Name).Order(StringComparer.Ordinal));
        List("disable", p.Disabled.Select(ProtectionNames.Name).Order(StringComparer.Ordinal));
        return settings;
    }

    /// <summary>One line for <c>sandlock ps</c>: what the command may reach, at a glance.</summary>
    public static string Summary(SandboxPolicy p)
    {
        var parts = new List<string>
        {
            p.FsReadable.Length + p.FsWritable.Length == 0 ? "fs: none" : $"fs: {p.FsReadable.Length} read, {p.FsWritable.Length} write",
            p.NetAllow.Length == 0 ? "net: none" : $"net: {p.NetAllow.Length} allowed",
        };
        if (p.NetBind.Length > 0) parts.Add($"bind: {string.Join(',', p.NetBind)}");
        if (p.MaxMemory is { } memory) parts.Add($"mem {memory}");
        if (p.MaxProcesses is { } processes) parts.Add($"procs {processes}");
        if (p.MaxCpu is { } cpu) parts.Add($"cpu {cpu}%");
        if (p.NoSupervisor) parts.Add("no supervisor");
        return string.Join("; ", parts);
    }
}
