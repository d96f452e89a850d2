namespace Sandlock.Confinement.Seccomp;

/// <summary>Emits a binary search over syscall numbers, so the common allowed syscall costs O(log n) comparisons.</summary>
internal static class SyscallDispatch
{
    // Below this many cases a chain of JEQs is as short as a further split.
    private const int LinearThreshold = 4;

    /// <summary>
    /// Emits code that, with the syscall number in the accumulator, jumps to <paramref name="targets"/>[i] for
    /// <paramref name="numbers"/>[i] or to <paramref name="fallback"/>. <paramref name="numbers"/> must be sorted without
    /// duplicates. Two arrays, not a list of tuples: see <see cref="SeccompProgram"/>.
    /// </summary>
    public static BpfEmitter.Label Emit(BpfEmitter emitter, uint[] numbers, BpfEmitter.Label[] targets, BpfEmitter.Label fallback)
    {
        if (numbers.Length != targets.Length) throw new ArgumentException("one target for each number", nameof(targets));
        for (var i = 1; i < numbers.Length; i++)
        {
            if (numbers[i] <= numbers[i - 1])
                throw new ArgumentException("cases must be sorted by number without duplicates", nameof(numbers));
        }
        return numbers.Length == 0 ? fallback : EmitRange(emitter, numbers, targets, 0, numbers.Length, fallback);
    }

    private static BpfEmitter.Label EmitRange(BpfEmitter emitter, uint[] numbers, BpfEmitter.Label[] targets, int start, int end, BpfEmitter.Label fallback)
    {
        if (end - start <= LinearThreshold)
        {
            var next = fallback;
            for (var i = end - 1; i >= start; i--)
                next = emitter.JumpIfEqual(numbers[i], targets[i], next);
            return next;
        }

        var middle = start + (end - start) / 2;
        // Back to front: the upper half goes last in the program, so it is emitted first.
        var upper = EmitRange(emitter, numbers, targets, middle, end, fallback);
        var lower = EmitRange(emitter, numbers, targets, start, middle, fallback);
        return emitter.JumpIfGreaterOrEqual(numbers[middle], upper, lower);
    }
}
