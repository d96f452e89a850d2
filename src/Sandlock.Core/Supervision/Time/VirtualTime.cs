using System.Runtime.InteropServices;
using Sandlock.Confinement;
using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Supervision.Time;

/// <summary>The handlers behind time_start, and the vDSO patch that random_seed needs too.</summary>
internal static class VirtualTime
{
    private static readonly Lazy<(ElfImage Vdso, byte[] Image)?> OwnVdso = new(ReadOwnVdso);

    /// <summary>Handlers for the policy's virtual clock and vDSO patch; empty when it asks for neither.</summary>
    public static IReadOnlyList<SyscallHandler> HandlersFor(SandboxPolicy policy)
    {
        var handlers = new List<SyscallHandler>();
        var x64 = RuntimeInformation.ProcessArchitecture == Architecture.X64;
        VirtualClock? clock = null;
        if (policy.TimeStart is { } start)
        {
            if (!x64)
                throw new SandboxSetupException(SetupFailure.Sandbox,
                    $"time_start is built for x86_64 only (its vDSO patch is x86_64 code); this is {RuntimeInformation.ProcessArchitecture}");
            if (start < DateTimeOffset.UnixEpoch || start.Year >= 2200)
                throw new SandboxSetupException(SetupFailure.Sandbox, $"time_start {start:O} is outside 1970 to 2199, which the virtual clock covers");
            clock = new VirtualClock(start);
            handlers.Add(new VirtualRealtime(clock));
            handlers.Add(new AbsoluteDeadlines(clock));
        }
        // Only x86_64 has the stubs; elsewhere the vDSO's getrandom stays (documented).
        if (!x64 || (clock is null && policy.RandomSeed is null)) return handlers;
        var patcher = new VdsoPatcher(clock, seededRandom: policy.RandomSeed is not null);
        // The sandbox gets the same vDSO as this process: check it here, so a misfit fails at start, not mid-run.
        (ElfImage Vdso, byte[] Image)? own;
        try { own = OwnVdso.Value; }
        catch (FormatException e) { throw new SandboxSetupException(SetupFailure.Sandbox, $"cannot read this kernel's vDSO to patch it for time_start/random_seed: {e.Message}"); }
        if (own is not null && patcher.Plan(own.Value.Vdso, own.Value.Image, out _).Failure is { } misfit)
            throw new SandboxSetupException(SetupFailure.Sandbox, $"cannot patch this kernel's vDSO for time_start/random_seed: {misfit}");
        handlers.Add(patcher);
        return handlers;
    }

    /// <summary>This process's vDSO, which is what every sandbox gets: the same kernel, the same image.</summary>
    public static (ElfImage Vdso, byte[] Image)? ReadOwnVdso()
    {
        if (MemoryMapping.Read(Environment.ProcessId).FirstOrDefault(m => m.Path == "[vdso]") is not { } mapping) return null;
        var start = mapping.Start;
        var image = new byte[mapping.End - start];
        var memory = Libc.Open("/proc/self/mem", Libc.O_RDONLY | Libc.O_CLOEXEC);
        if (memory < 0) return null;
        try
        {
            return ProcessMemory.ReadAt(memory, start, image) ? (ElfImage.Parse(image, "the vDSO"), image) : null;
        }
        finally
        {
            Libc.Close(memory);
        }
    }
}
