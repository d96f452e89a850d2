namespace Sandlock.Confinement.Seccomp;

/// <summary>Emits a binary search over syscall numbers, so the common allowed syscall costs O(log n) comparisons.</summary>
internal static class SyscallDispatch
{
    // Below this many cases a chain of JEQs is as short as a further split.
    private const int LinearThreshold = 4;

    /// <summary>
    /// Emits code that, with the syscall number in the accumulator, jumps to the target of the matching case
    /// or to <paramref name="fallback"/>. <paramref name="cases"/> must be sorted by number without duplicates.
    /// </summary>
    public static BpfEmitter.Label Emit(BpfEmitter emitter, IReadOnlyList<(uint Number, BpfEmitter.Label Target)> cases, BpfEmitter.Label fallback)
    {
        for (var i = 1; i < cases.Count; i++)
        {
            if (cases[i].Number <= cases[i - 1].Number)
                throw new ArgumentException("cases must be sorted by number without duplicates", nameof(cases));
        }
        return cases.Count == 0 ? fallback : EmitRange(emitter, cases, 0, cases.Count, fallback);
    }

    private static BpfEmitter.Label EmitRange(BpfEmitter emitter, IReadOnlyList<(uint Number, BpfEmitter.Label Target)> cases, int start, int end, BpfEmitter.Label fallback)
    {
        if (end - start <= LinearThreshold)
        {
            var next = fallback;
            for (var i = end - 1; i >= start; i--)
                next = emitter.JumpIfEqual(cases[i].Number, cases[i].Target, next);
            return next;
        }

        var middle = start + (end - start) / 2;
        // Back to front: the upper half goes last in the program, so it is emitted first.
        var upper = EmitRange(emitter, cases, middle, end, fallback);
        var lower = EmitRange(emitter, cases, start, middle, fallback);
        return emitter.JumpIfGreaterOrEqual(cases[middle].Number, upper, lower);
    }
}
