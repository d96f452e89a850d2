using System.Buffers.Binary;
using Sandlock.Confinement.Seccomp;

namespace Sandlock.Supervision.Determinism;

/// <summary>
/// <c>random_seed</c> for generators seeded from the clock: <c>srand(time(NULL))</c> in C, and the .NET runtime,
/// which XORs every non-cryptographic draw (Random, string hash seeds) with <c>lrand48</c> seeded by
/// <c>srand48(time(NULL))</c>. A time(NULL) whose result goes straight into srand, srandom or srand48 returns a
/// number drawn from the seed, so the generator repeats; the result reaches nothing else (the registers that carry it
/// do not survive the call). Every other time call is answered as before: the clock, virtual or not.
/// </summary>
internal sealed class ClockSeededGenerators : SyscallHandler
{
    private static readonly string[] Seeders = ["srand", "srandom", "srand48"];

    // How far up the stack a libc time wrapper's return address may lie: its saved registers and alignment.
    private const int WrapperFrameWords = 4;

    private readonly long _seedTime;

    public ClockSeededGenerators(SeededBytes stream) =>
        // A positive 31-bit number, like a time of 1970 to 2038, in case a seeder treats it as one.
        _seedTime = BinaryPrimitives.ReadUInt32LittleEndian(stream.Take(4)) & 0x7fff_ffff;

    public override IReadOnlyCollection<string> Syscalls { get; } = ["time"];

    // time(&t) stores the result, which then outlives the call: only time(NULL) can be a seed and nothing else.
    public override IReadOnlyDictionary<string, ArgumentMatch> WantedWhen { get; } = new Dictionary<string, ArgumentMatch>
    {
        ["time"] = ArgumentMatch.OneOf(0, 0),
    };

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session) =>
        ValueTask.FromResult(call.Args[0] == 0 && SeedsAGenerator(call, session)
            ? SyscallDecision.Result(_seedTime)
            : SyscallDecision.Allow);

    private static bool SeedsAGenerator(SyscallEvent call, SupervisedSession session)
    {
        // The vDSO's time, patched to the bare syscall, passes its caller's return address and stack pointer. A
        // program making the syscall itself may pass anything there: at worst its own clock seed is the pinned one.
        var (returnAddress, stackPointer) = (call.Args[1], call.Args[2]);
        var functions = session.State(() => new LibraryFunctions()).Of(call.Pid);
        bool Seeds(ulong at) =>
            CallSites.ResultPassedTo(call.Pid, at) is { } callee
            && functions.IsOneOf(callee.Address, callee.ThroughSlot, Seeders)
            && Interop.SeccompNotify.IsValid(session.Listener, call.Id);

        // The caller is the program, or in a static one libc's time, which called the vDSO through a register and
        // whose own return address lies a few words up the stack: the one whose call instruction went to time.
        if (Seeds(returnAddress)) return true;
        if (!CallSites.IsRegisterCallEndingAt(call.Pid, returnAddress) || !functions.IsInside(returnAddress, "time")) return false;
        var stack = new ulong[WrapperFrameWords];
        if (!Interop.ProcessMemory.Read(call.Pid, stackPointer + 8, System.Runtime.InteropServices.MemoryMarshal.AsBytes(stack.AsSpan()))) return false;
        foreach (var word in stack)
        {
            if (CallSites.CallEndingAt(call.Pid, word) is { } time && functions.IsOneOf(time.Address, time.ThroughSlot, ["time"]))
                return Seeds(word);
        }
        return false;
    }
}
