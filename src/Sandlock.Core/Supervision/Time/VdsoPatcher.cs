using Sandlock.Confinement.Seccomp;
using Sandlock.Interop;

namespace Sandlock.Supervision.Time;

/// <summary>
/// Programs read the clock (and, with newer libcs, random bytes) through the vDSO, without a syscall the filter could
/// hold. Every execve maps a fresh vDSO, and every libc, static or dynamic, and Go's runtime set the thread pointer
/// with arch_prctl(ARCH_SET_FS) before any user code runs: holding that call, the supervisor overwrites the vDSO's
/// functions with <see cref="VdsoStubs"/> through /proc/PID/mem (the kernel copies the page for that process; forked
/// children inherit the copy), then lets the call continue. Fails closed: a vDSO it cannot patch kills the sandbox.
/// </summary>
public sealed class VdsoPatcher : SyscallHandler
{
    private const uint ArchSetFs = 0x1002;
    private const int Eperm = 1;

    // Function name (and its unprefixed alias) to the code it gets; required ones must be present.
    private readonly List<(string Name, byte[] Code, bool Required)> _patches = [];

    /// <param name="clock">time_start's clock, or null when only randomness is patched.</param>
    /// <param name="seededRandom">random_seed is set: the vDSO's getrandom must not bypass the seeded syscall.</param>
    public VdsoPatcher(VirtualClock? clock, bool seededRandom)
    {
        if (clock is not null)
        {
            var clockGettime = VdsoStubs.ClockGettime(clock.OffsetNanoseconds);
            _patches.Add(("__vdso_clock_gettime", clockGettime, true));
            _patches.Add(("clock_gettime", clockGettime, false));
            _patches.Add(("__vdso_gettimeofday", VdsoStubs.GetTimeOfDay, true));
            _patches.Add(("gettimeofday", VdsoStubs.GetTimeOfDay, false));
            _patches.Add(("__vdso_time", VdsoStubs.Time, true));
            _patches.Add(("time", VdsoStubs.Time, false));
        }
        if (seededRandom)
        {
            _patches.Add(("__vdso_getrandom", VdsoStubs.GetRandom, false));
            _patches.Add(("getrandom", VdsoStubs.GetRandom, false));
        }
    }

    public override IReadOnlyCollection<string> Syscalls { get; } = ["arch_prctl"];

    public override IReadOnlyDictionary<string, ArgumentMatch> WantedWhen { get; } = new Dictionary<string, ArgumentMatch>
    {
        ["arch_prctl"] = ArgumentMatch.OneOf(0, ArchSetFs),
    };

    /// <summary>Whether a vDSO has functions this patcher would overwrite (and room for the code), else why not.</summary>
    public string? CheckFits(VdsoImage image)
    {
        foreach (var (name, code, required) in _patches)
        {
            if (!image.TryGetFunction(name, out _, out var size))
            {
                if (required) return $"the vDSO has no {name}";
                continue;
            }
            if (size < code.Length) return $"the vDSO's {name} is {size} bytes, too short for the {code.Length}-byte replacement";
        }
        return null;
    }

    /// <summary>True when there is anything to patch in <paramref name="image"/>.</summary>
    public bool Applies(VdsoImage image) => _patches.Any(p => image.TryGetFunction(p.Name, out _, out _));

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        var failure = Patch(call, session);
        if (failure is null) return ValueTask.FromResult(SyscallDecision.Allow);
        session.Kill($"cannot patch the vDSO of pid {call.Pid} for time_start/random_seed: {failure}");
        return ValueTask.FromResult(SyscallDecision.Deny(Eperm));
    }

    /// <summary>Null when the caller's vDSO is patched (now or already), else why it could not be.</summary>
    private string? Patch(SyscallEvent call, SupervisedSession session)
    {
        var memory = ProcessMemory.OpenMemory(call.Pid);
        if (memory < 0) return $"cannot open /proc/{call.Pid}/mem: {Libc.ErrorText(Libc.LastError)}";
        try
        {
            string[] maps;
            try { maps = File.ReadAllLines($"/proc/{call.Pid}/maps"); }
            catch (IOException e) { return $"cannot read /proc/{call.Pid}/maps: {e.Message}"; }
            var line = maps.FirstOrDefault(l => l.EndsWith(" [vdso]", StringComparison.Ordinal));
            // No vDSO (vdso=0): every clock read is a syscall, which the filter holds.
            if (line is null) return SeccompNotify.IsValid(session.Listener, call.Id) ? null : "the caller is gone";
            var range = line[..line.IndexOf(' ')].Split('-');
            var start = Convert.ToUInt64(range[0], 16);
            var image = new byte[Convert.ToUInt64(range[1], 16) - start];
            if (!ProcessMemory.ReadAt(memory, start, image)) return $"cannot read the vDSO: {Libc.ErrorText(Libc.LastError)}";
            // Still waiting, so the pid named the caller all along, and the mem fd is bound to its memory.
            if (!SeccompNotify.IsValid(session.Listener, call.Id)) return "the caller is gone";

            VdsoImage vdso;
            try { vdso = VdsoImage.Parse(image); }
            catch (FormatException e) { return e.Message; }
            if (CheckFits(vdso) is { } misfit) return misfit;
            foreach (var (name, code, _) in _patches)
            {
                if (!vdso.TryGetFunction(name, out var offset, out _)) continue;
                if (image.AsSpan(offset, code.Length).SequenceEqual(code)) continue;
                if (!ProcessMemory.WriteAt(memory, start + (ulong)offset, code))
                    return $"cannot write {name}: {Libc.ErrorText(Libc.LastError)}";
                code.CopyTo(image, offset);
            }
            return null;
        }
        finally
        {
            Libc.Close(memory);
        }
    }
}
