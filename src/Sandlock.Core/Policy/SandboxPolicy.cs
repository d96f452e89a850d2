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

    // Validation happens once, in the builder: outside this assembly a policy can be neither made nor changed
    // (a `with` included) without passing through it.
    internal SandboxPolicy() { }

    // Filesystem
    public ImmutableArray<string> FsReadable { get; internal init; } = [];
    public ImmutableArray<string> FsWritable { get; internal init; } = [];
    public ImmutableArray<string> FsDenied { get; internal init; } = [];

    // Syscalls
    public ImmutableArray<string> ExtraDenySyscalls { get; internal init; } = [];
    public ImmutableArray<string> ExtraAllowSyscalls { get; internal init; } = [];

    // Network
    public ImmutableArray<NetRule> NetAllow { get; internal init; } = [];
    public ImmutableArray<NetRule> NetDeny { get; internal init; } = [];
    public ImmutableArray<ushort> NetBind { get; internal init; } = [];
    public ImmutableArray<ushort> NetDenyBind { get; internal init; } = [];
    public bool PortRemap { get; internal init; }

    // HTTP
    public ImmutableArray<HttpRule> HttpAllow { get; internal init; } = [];
    public ImmutableArray<HttpRule> HttpDeny { get; internal init; } = [];
    public ImmutableArray<ushort> HttpPorts { get; internal init; } = [];
    public string? HttpCa { get; internal init; }
    public string? HttpKey { get; internal init; }
    /// <summary>Host to the name of a variable of the parent's environment whose value the proxy sends as that
    /// host's Authorization header; the variable is kept out of the sandbox.</summary>
    public ImmutableSortedDictionary<string, string> HttpAuth { get; internal init; } = ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase);

    // Limits
    public ByteSize? MaxMemory { get; internal init; }
    public int? MaxProcesses { get; internal init; }
    public int? MaxOpenFiles { get; internal init; }
    public int? MaxCpu { get; internal init; }
    public ByteSize? MaxDisk { get; internal init; }
    public ImmutableArray<int>? GpuDevices { get; internal init; }
    public ImmutableArray<int>? CpuCores { get; internal init; }
    public int? NumCpus { get; internal init; }

    // Determinism
    public ulong? RandomSeed { get; internal init; }
    public DateTimeOffset? TimeStart { get; internal init; }
    public bool NoRandomizeMemory { get; internal init; }
    public bool NoHugePages { get; internal init; }
    public bool NoCoredump { get; internal init; }
    public bool DeterministicDirs { get; internal init; }

    /// <summary>
    /// Record every file the filesystem rules refuse as a <see cref="Denial"/> (with <see cref="Denial.FilePath"/>), so a
    /// refusal a program swallows is still seen. Costs a supervisor round trip per open and path change.
    /// </summary>
    internal bool RecordFilesystemDenials { get; init; }

    /// <summary>
    /// Folders the child may list, and nothing more: the supervisor opens them for it (names only; what the child opens
    /// through them is still Landlock's to refuse). For a whole test host whose framework walks the folders above the
    /// tests (NUnit's engine looks for extensions up to /).
    /// </summary>
    internal ImmutableArray<string> FsListable { get; init; } = [];

    // Copy-on-write workspace and mounts
    public FsIsolation FsIsolation { get; internal init; }
    public string? Workdir { get; internal init; }
    public string? FsStorage { get; internal init; }
    public BranchAction OnExit { get; internal init; } = BranchAction.Commit;
    public BranchAction OnError { get; internal init; } = BranchAction.Abort;

    /// <summary>
    /// The upper folder of one run's copy-on-write layer over <see cref="Workdir"/>, set by the run that made it: the
    /// child may read and execute there (the supervisor hands out its files), never write by path.
    /// </summary>
    internal string? WorkspaceUpper { get; init; }
    public ImmutableArray<FsMount> FsMounts { get; internal init; } = [];
    public string? Chroot { get; internal init; }

    // Process
    public string? Cwd { get; internal init; }
    public bool CleanEnv { get; internal init; }
    public ImmutableSortedDictionary<string, string> Env { get; internal init; } = ImmutableSortedDictionary<string, string>.Empty;
    public int? Uid { get; internal init; }
    public int? Gid { get; internal init; }
    public string? Name { get; internal init; }

    /// <summary>Run without the seccomp user-notification supervisor; features that need it are then refused.</summary>
    public bool NoSupervisor { get; internal init; }

    // Waivers for protections this kernel may lack
    public ImmutableHashSet<Protection> AllowDegraded { get; internal init; } = [];
    public ImmutableHashSet<Protection> Disabled { get; internal init; } = [];

    /// <summary>True when the policy names any filesystem path, so Landlock confines the filesystem.</summary>
    public bool ConfinesFilesystem => !FsReadable.IsEmpty || !FsWritable.IsEmpty || !FsDenied.IsEmpty || Workdir is not null;

    public SandboxPolicyBuilder ToBuilder() => new(this);
}
