namespace Sandlock.Policy.Settings;

/// <summary>
/// The one name of each policy setting (the CLI flag without its dashes): what the builder's errors name when no front
/// door gave a source, and what a denial explanation calls the setting.
/// </summary>
internal static class SettingNames
{
    public const string FsRead = "fs_read";
    public const string FsWrite = "fs_write";
    public const string FsDeny = "fs_deny";
    public const string ExtraDenySyscall = "extra_deny_syscall";
    public const string ExtraAllowSyscall = "extra_allow_syscall";
    public const string NetAllow = "net_allow";
    public const string NetDeny = "net_deny";
    public const string NetAllowBind = "net_allow_bind";
    public const string NetDenyBind = "net_deny_bind";
    public const string PortRemap = "port_remap";
    public const string HttpAllow = "http_allow";
    public const string HttpDeny = "http_deny";
    public const string HttpPort = "http_port";
    public const string HttpCa = "http_ca";
    public const string HttpKey = "http_key";
    public const string HttpAuth = "http_auth";
    public const string MaxMemory = "max_memory";
    public const string MaxProcesses = "max_processes";
    public const string MaxOpenFiles = "max_open_files";
    public const string Cpu = "cpu";
    public const string MaxDisk = "max_disk";
    public const string GpuDevices = "gpu_devices";
    public const string CpuCores = "cpu_cores";
    public const string NumCpus = "num_cpus";
    public const string RandomSeed = "random_seed";
    public const string TimeStart = "time_start";
    public const string NoRandomizeMemory = "no_randomize_memory";
    public const string NoHugePages = "no_huge_pages";
    public const string NoCoredump = "no_coredump";
    public const string DeterministicDirs = "deterministic_dirs";
    public const string FsIsolation = "fs_isolation";
    public const string Workdir = "workdir";
    public const string FsStorage = "fs_storage";
    public const string OnExit = "on_exit";
    public const string OnError = "on_error";
    public const string FsMount = "fs_mount";
    public const string Chroot = "chroot";
    public const string Cwd = "cwd";
    public const string CleanEnv = "clean_env";
    public const string Env = "env";
    public const string Uid = "uid";
    public const string Gid = "gid";
    public const string Name = "name";
    public const string NoSupervisor = "no_supervisor";
    public const string AllowDegraded = "allow_degraded";
    public const string Disable = "disable";
}
