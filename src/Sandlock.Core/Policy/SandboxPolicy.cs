using System.Collections.Immutable;
using Sandlock.Policy;

namespace Sandlock;

/// <summary>
/// Everything a sandbox enforces, in one immutable value. Build it with <see cref="SandboxPolicyBuilder"/>,
/// which validates it; the fields mirror the original sandlock <c>Sandbox</c> configuration.
/// </summary>
public sealed record SandboxPolicy
{
    public static SandboxPolicy Default { get; } = new();

    // Filesystem
    public ImmutableArray<string> FsReadable { get; init; } = [];
    public ImmutableArray<string> FsWritable { get; init; } = [];
    public ImmutableArray<string> FsDenied { get; init; } = [];

    // Syscalls
    public ImmutableArray<string> ExtraDenySyscalls { get; init; } = [];
    public ImmutableArray<string> ExtraAllowSyscalls { get; init; } = [];

    // Network
    public ImmutableArray<NetRule> NetAllow { get; init; } = [];
    public ImmutableArray<NetRule> NetDeny { get; init; } = [];
    public ImmutableArray<ushort> NetBind { get; init; } = [];
    public ImmutableArray<ushort> NetDenyBind { get; init; } = [];
    public bool PortRemap { get; init; }

    // HTTP
    public ImmutableArray<HttpRule> HttpAllow { get; init; } = [];
    public ImmutableArray<HttpRule> HttpDeny { get; init; } = [];
    public ImmutableArray<ushort> HttpPorts { get; init; } = [];
    public string? HttpCa { get; init; }
    public string? HttpKey { get; init; }

    // Limits
    public ByteSize? MaxMemory { get; init; }
    public int? MaxProcesses { get; init; }
    public int? MaxOpenFiles { get; init; }
    public int? MaxCpu { get; init; }
    public ByteSize? MaxDisk { get; init; }
    public ImmutableArray<int>? GpuDevices { get; init; }
    public ImmutableArray<int>? CpuCores { get; init; }
    public int? NumCpus { get; init; }

    // Determinism
    public ulong? RandomSeed { get; init; }
    public DateTimeOffset? TimeStart { get; init; }
    public bool NoRandomizeMemory { get; init; }
    public bool NoHugePages { get; init; }
    public bool NoCoredump { get; init; }
    public bool DeterministicDirs { get; init; }

    // Copy-on-write workspace and mounts
    public FsIsolation FsIsolation { get; init; }
    public string? Workdir { get; init; }
    public string? FsStorage { get; init; }
    public BranchAction OnExit { get; init; } = BranchAction.Commit;
    public BranchAction OnError { get; init; } = BranchAction.Abort;
    public ImmutableArray<FsMount> FsMounts { get; init; } = [];
    public string? Chroot { get; init; }

    // Process
    public string? Cwd { get; init; }
    public bool CleanEnv { get; init; }
    public ImmutableSortedDictionary<string, string> Env { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public int? Uid { get; init; }
    public int? Gid { get; init; }
    public string? Name { get; init; }

    /// <summary>Run without the seccomp user-notification supervisor; features that need it are then refused.</summary>
    public bool NoSupervisor { get; init; }

    // Waivers for protections this kernel may lack
    public ImmutableHashSet<Protection> AllowDegraded { get; init; } = [];
    public ImmutableHashSet<Protection> Disabled { get; init; } = [];

    /// <summary>True when the policy names any filesystem path, so Landlock confines the filesystem.</summary>
    public bool ConfinesFilesystem => !FsReadable.IsEmpty || !FsWritable.IsEmpty || !FsDenied.IsEmpty;

    public SandboxPolicyBuilder ToBuilder() => new(this);
}
