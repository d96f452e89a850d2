using System.Runtime.InteropServices;
using System.Text;

namespace Sandlock.Interop;

/// <summary>A resource limit for the child, as the shim's <c>struct sl_rlimit</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct ResourceLimit(int Resource, int Reserved, ulong Soft, ulong Hard);

/// <summary>Everything the shim needs for one spawn, prepared in managed code.</summary>
internal sealed record SpawnRequest(
    string Path,
    IReadOnlyList<string> Arguments,
    IReadOnlyList<string> Environment,
    string? WorkingDirectory,
    int StdinFd,
    int StdoutFd,
    int StderrFd,
    int RulesetFd,
    SockFilter[] Filter,
    uint SeccompFlags,
    IReadOnlyList<ResourceLimit> Limits,
    int Personality,
    bool DisableTransparentHugePages,
    bool TakeTerminal,
    ulong[]? CpuMask = null,
    UserNamespaceMaps? UserNamespace = null,
    int CgroupProcsFd = -1,
    string? Chroot = null,
    int WorkingDirectoryFd = -1,
    IReadOnlyList<int>? ExtraFds = null);

/// <summary>A user namespace for the child with these /proc/self/uid_map and gid_map contents.</summary>
internal sealed record UserNamespaceMaps(string UidMap, string GidMap)
{
    /// <summary>Our own ids mapped to themselves: the only maps an unprivileged process may write, and the command sees no change.</summary>
    public static UserNamespaceMaps Identity()
    {
        var uid = SystemInfo.EffectiveUserId();
        var gid = SystemInfo.EffectiveGroupId();
        return new UserNamespaceMaps($"{uid} {uid} 1\n", $"{gid} {gid} 1\n");
    }
}

/// <summary>Outcome of the shim: a pid and pidfd (and seccomp listener when supervised), or the failed step and its errno.</summary>
internal readonly record struct SpawnOutcome(int Pid, int PidFd, SpawnStep FailedStep, int Error, int Listener = -1);

/// <summary>Registers a supervised child's listener before the child may execve; false aborts the spawn.</summary>
internal delegate bool ListenerReady(int listener, int pid);

/// <summary>Mirrors <c>enum sl_step</c> in native/sandlock_spawn.h.</summary>
internal enum SpawnStep
{
    None = 0, Fork, ProcessGroup, ParentDeathSignal, Stdio, ResourceLimit, Personality, WorkingDirectory,
    NoNewPrivileges, Landlock, Seccomp, ListenerHandoff, CloseFds, Exec, PidFd, CpuAffinity, Cgroup, UserNamespace, IdMaps, Chroot,
    Capabilities,
}

/// <summary>Calls the C shim (native/sandlock_spawn.c). Must be called through SpawnThread, on a thread that lives as long as the process.</summary>
internal static unsafe partial class NativeSpawn
{
    [StructLayout(LayoutKind.Sequential)]
    private struct NativeRequest
    {
        public byte* Path;
        public byte** Argv;
        public byte** Envp;
        public byte* Cwd;
        public SockFilter* Filter;
        public ResourceLimit* Rlimits;
        public ulong* CpuMask;
        public byte* UidMap;
        public byte* GidMap;
        public byte* ChrootDir;
        public int StdinFd, StdoutFd, StderrFd, RulesetFd;
        public uint LandlockRestrictFlags, SeccompFlags;
        public int RlimitCount, CpuMaskWords, Personality, CgroupProcsFd, CwdFd;
        public ushort FilterLength;
        public byte DisableTransparentHugePages, TakeTerminal;
        public int ExtraFdCount;
        public int* ExtraFds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct NativeResult
    {
        public int Pid, PidFd, FailedStep, Error, Listener;
    }

    private const uint SeccompFilterFlagNewListener = 1 << 3;

    [LibraryImport("sandlock", EntryPoint = "sl_spawn")]
    private static partial int SlSpawn(NativeRequest* request, NativeResult* result);

    [LibraryImport("sandlock", EntryPoint = "sl_spawn_supervised")]
    private static partial int SlSpawnSupervised(NativeRequest* request, NativeResult* result,
        delegate* unmanaged<nint, int, int, int> onListener, nint context);

    [StructLayout(LayoutKind.Sequential)]
    private struct NativeLaunch
    {
        public byte* Path;
        public byte** Argv;
        public byte** Envp;
        public byte* Cwd;
        public int StdinFd, StdoutFd, StderrFd;
    }

    [LibraryImport("sandlock", EntryPoint = "sl_prepare_supervised")]
    private static partial int SlPrepareSupervised(NativeRequest* request, NativeResult* result, nint* prepared);

    [LibraryImport("sandlock", EntryPoint = "sl_launch_prepared")]
    private static partial int SlLaunchPrepared(nint prepared, NativeLaunch* launch, NativeResult* result);

    [LibraryImport("sandlock", EntryPoint = "sl_discard_prepared")]
    private static partial void SlDiscardPrepared(nint prepared);

    [UnmanagedCallersOnly]
    private static int OnListener(nint context, int listener, int pid)
    {
        try
        {
            var ready = (ListenerReady)GCHandle.FromIntPtr(context).Target!;
            return ready(listener, pid) ? 0 : 1;
        }
        catch
        {
            return 1;
        }
    }

    /// <summary>Spawns the request; with <paramref name="onListener"/>, the child's seccomp listener is handed over first.</summary>
    public static SpawnOutcome Spawn(SpawnRequest request, ListenerReady? onListener = null) =>
        WithNativeRequest(request, native =>
        {
            NativeResult result;
            if (onListener is null)
            {
                SlSpawn(native, &result);
                return new SpawnOutcome(result.Pid, result.PidFd, (SpawnStep)result.FailedStep, result.Error);
            }
            // The listener is what this path hands over before execve.
            native->SeccompFlags |= SeccompFilterFlagNewListener;
            var handle = GCHandle.Alloc(onListener);
            try
            {
                SlSpawnSupervised(native, &result, &OnListener, GCHandle.ToIntPtr(handle));
            }
            finally
            {
                handle.Free();
            }
            return new SpawnOutcome(result.Pid, result.PidFd, (SpawnStep)result.FailedStep, result.Error, result.Listener);
        });

    /// <summary>
    /// Confines a child with <paramref name="confinement"/> (no stdio, working directory, cgroup, chroot, user
    /// namespace, terminal or extra fds) and leaves it waiting for <see cref="Launch"/>; the outcome holds its pid and
    /// listener, <paramref name="prepared"/> the shim's handle (0 when it failed).
    /// </summary>
    public static SpawnOutcome Prepare(SpawnRequest confinement, out nint prepared)
    {
        nint handle = 0;
        var outcome = WithNativeRequest(confinement, native =>
        {
            native->SeccompFlags |= SeccompFilterFlagNewListener;
            NativeResult result;
            nint made;
            SlPrepareSupervised(native, &result, &made);
            handle = made;
            return new SpawnOutcome(result.Pid, result.PidFd, (SpawnStep)result.FailedStep, result.Error, result.Listener);
        });
        prepared = handle;
        return outcome;
    }

    /// <summary>
    /// Hands a prepared child its command and stdio once <paramref name="attach"/> (the supervisor's) says yes; the
    /// handle is spent whatever the outcome, and a refusal or a bad argument (a NUL in a string) kills the child.
    /// </summary>
    public static SpawnOutcome Launch(nint prepared, SpawnRequest request, Func<bool> attach)
    {
        using var arena = new NativeArena();
        NativeLaunch launch;
        bool attached;
        try
        {
            // Made before the supervisor is attached: a string refused here leaves nothing attached to a child that never runs.
            launch = new NativeLaunch
            {
                Path = arena.String(request.Path),
                Argv = arena.StringArray(request.Arguments),
                Envp = arena.StringArray(request.Environment),
                Cwd = request.WorkingDirectory is null ? null : arena.String(request.WorkingDirectory),
                StdinFd = request.StdinFd,
                StdoutFd = request.StdoutFd,
                StderrFd = request.StderrFd,
            };
            attached = attach();
        }
        catch
        {
            SlDiscardPrepared(prepared);
            throw;
        }
        NativeResult result;
        if (!attached)
        {
            SlDiscardPrepared(prepared);
            return new SpawnOutcome(-1, -1, SpawnStep.ListenerHandoff, Errno.ECANCELED);
        }
        SlLaunchPrepared(prepared, &launch, &result);
        return new SpawnOutcome(result.Pid, result.PidFd, (SpawnStep)result.FailedStep, result.Error);
    }

    /// <summary>Kills and reaps a prepared child that will not be launched (its listener stays the caller's to close).</summary>
    public static void Discard(nint prepared) => SlDiscardPrepared(prepared);

    private delegate SpawnOutcome NativeCall(NativeRequest* native);

    private static SpawnOutcome WithNativeRequest(SpawnRequest request, NativeCall call)
    {
        using var arena = new NativeArena();
        var filter = request.Filter;
        var limits = request.Limits.ToArray();
        var extraFds = request.ExtraFds?.ToArray() ?? [];
        fixed (int* extraPtr = extraFds)
        fixed (SockFilter* filterPtr = filter)
        fixed (ResourceLimit* limitPtr = limits)
        fixed (ulong* maskPtr = request.CpuMask)
        {
            var native = new NativeRequest
            {
                Path = arena.String(request.Path),
                Argv = arena.StringArray(request.Arguments),
                Envp = arena.StringArray(request.Environment),
                Cwd = request.WorkingDirectory is null ? null : arena.String(request.WorkingDirectory),
                Filter = filter.Length == 0 ? null : filterPtr,
                Rlimits = limits.Length == 0 ? null : limitPtr,
                StdinFd = request.StdinFd,
                StdoutFd = request.StdoutFd,
                StderrFd = request.StderrFd,
                RulesetFd = request.RulesetFd,
                SeccompFlags = request.SeccompFlags,
                RlimitCount = limits.Length,
                CpuMask = request.CpuMask is null ? null : maskPtr,
                CpuMaskWords = request.CpuMask?.Length ?? 0,
                Personality = request.Personality,
                UidMap = request.UserNamespace is { } maps ? arena.String(maps.UidMap) : null,
                GidMap = request.UserNamespace is { } same ? arena.String(same.GidMap) : null,
                ChrootDir = request.Chroot is null ? null : arena.String(request.Chroot),
                CgroupProcsFd = request.CgroupProcsFd,
                CwdFd = request.WorkingDirectoryFd,
                FilterLength = checked((ushort)filter.Length),
                DisableTransparentHugePages = request.DisableTransparentHugePages ? (byte)1 : (byte)0,
                TakeTerminal = request.TakeTerminal ? (byte)1 : (byte)0,
                ExtraFdCount = extraFds.Length,
                ExtraFds = extraFds.Length == 0 ? null : extraPtr,
            };
            return call(&native);
        }
    }

    /// <summary>Native copies of strings and string arrays that live until the spawn returns.</summary>
    private sealed class NativeArena : IDisposable
    {
        private readonly List<nint> _blocks = [];

        public byte* String(string value)
        {
            if (value.Contains('\0')) throw new ArgumentException($"argument contains a NUL character: {value.Replace("\0", "\\0")}");
            var count = Encoding.UTF8.GetByteCount(value);
            var p = (byte*)Allocate(count + 1);
            Encoding.UTF8.GetBytes(value, new Span<byte>(p, count));
            p[count] = 0;
            return p;
        }

        public byte** StringArray(IReadOnlyList<string> values)
        {
            var array = (byte**)Allocate((values.Count + 1) * sizeof(nint));
            for (var i = 0; i < values.Count; i++) array[i] = String(values[i]);
            array[values.Count] = null;
            return array;
        }

        private void* Allocate(int bytes)
        {
            var p = NativeMemory.Alloc((nuint)bytes);
            _blocks.Add((nint)p);
            return p;
        }

        public void Dispose()
        {
            foreach (var block in _blocks) NativeMemory.Free((void*)block);
        }
    }
}
