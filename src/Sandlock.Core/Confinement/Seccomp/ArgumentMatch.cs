namespace Sandlock.Confinement.Seccomp;

/// <summary>
/// A condition on a syscall's arguments that the seccomp filter can check, so only the calls that need the
/// supervisor are held (clock_gettime of the realtime clocks, not of the monotonic ones). Arguments are compared on
/// their low 32 bits, which is all the kernel reads of the int and flag arguments this is meant for.
/// </summary>
internal abstract record ArgumentMatch
{
    private ArgumentMatch() { }

    /// <summary>Argument <paramref name="index"/> equals one of <paramref name="values"/>.</summary>
    public static ArgumentMatch OneOf(int index, params uint[] values) => new ValueIn(index, [.. values]);

    /// <summary>Argument <paramref name="index"/> has at least one bit of <paramref name="mask"/> set.</summary>
    public static ArgumentMatch AnySet(int index, uint mask) => new BitsSet(index, mask);

    /// <summary>
    /// Argument <paramref name="index"/> is not zero in all its 64 bits: for a pointer, whose low half alone may be 0.
    /// </summary>
    public static ArgumentMatch NonZero(int index) => new NotZero(index);

    public static ArgumentMatch All(params ArgumentMatch[] parts) => new AllOf([.. parts]);

    public static ArgumentMatch Any(params ArgumentMatch[] parts) => new AnyOf([.. parts]);

    public abstract bool Matches(IReadOnlyList<ulong> args);

    /// <summary>Emits the check (back to front, see <see cref="BpfEmitter"/>); returns its first instruction.</summary>
    internal abstract BpfEmitter.Label Emit(BpfEmitter e, BpfEmitter.Label whenTrue, BpfEmitter.Label whenFalse);

    private static void CheckIndex(int index)
    {
        if (index is < 0 or > 5) throw new ArgumentOutOfRangeException(nameof(index), index, "syscalls have arguments 0 to 5");
    }

    private sealed record ValueIn : ArgumentMatch
    {
        // An array used as one: as an IReadOnlyList<uint> each call went through interface stubs a JIT process compiles.
        private readonly uint[] _values;

        public ValueIn(int index, uint[] values)
        {
            CheckIndex(index);
            if (values.Length == 0) throw new ArgumentException("give at least one value", nameof(values));
            Index = index;
            _values = values;
        }

        public int Index { get; }

        public override bool Matches(IReadOnlyList<ulong> args)
        {
            var value = (uint)args[Index];
            foreach (var candidate in _values)
                if (candidate == value) return true;
            return false;
        }

        internal override BpfEmitter.Label Emit(BpfEmitter e, BpfEmitter.Label whenTrue, BpfEmitter.Label whenFalse)
        {
            var next = whenFalse;
            for (var i = _values.Length - 1; i >= 0; i--) next = e.JumpIfEqual(_values[i], whenTrue, next);
            return e.Load(Bpf.ArgLow(Index));
        }

        public override string ToString() => $"arg{Index} in {{{string.Join(", ", _values)}}}";
    }

    private sealed record BitsSet : ArgumentMatch
    {
        public BitsSet(int index, uint mask)
        {
            CheckIndex(index);
            Index = index;
            Mask = mask;
        }

        public int Index { get; }
        public uint Mask { get; }

        public override bool Matches(IReadOnlyList<ulong> args) => ((uint)args[Index] & Mask) != 0;

        internal override BpfEmitter.Label Emit(BpfEmitter e, BpfEmitter.Label whenTrue, BpfEmitter.Label whenFalse)
        {
            e.JumpIfAnySet(Mask, whenTrue, whenFalse);
            return e.Load(Bpf.ArgLow(Index));
        }

        public override string ToString() => $"arg{Index} & 0x{Mask:x}";
    }

    private sealed record NotZero : ArgumentMatch
    {
        public NotZero(int index)
        {
            CheckIndex(index);
            Index = index;
        }

        public int Index { get; }

        public override bool Matches(IReadOnlyList<ulong> args) => args[Index] != 0;

        internal override BpfEmitter.Label Emit(BpfEmitter e, BpfEmitter.Label whenTrue, BpfEmitter.Label whenFalse)
        {
            e.JumpIfAnySet(uint.MaxValue, whenTrue, whenFalse);
            var high = e.Load(Bpf.ArgHigh(Index));
            e.JumpIfAnySet(uint.MaxValue, whenTrue, high);
            return e.Load(Bpf.ArgLow(Index));
        }

        public override string ToString() => $"arg{Index} != 0";
    }

    private sealed record AllOf(IReadOnlyList<ArgumentMatch> Parts) : ArgumentMatch
    {
        public override bool Matches(IReadOnlyList<ulong> args) => Parts.All(p => p.Matches(args));

        internal override BpfEmitter.Label Emit(BpfEmitter e, BpfEmitter.Label whenTrue, BpfEmitter.Label whenFalse)
        {
            // Each part loads its own argument, so a true part goes on to the start of the next.
            var next = whenTrue;
            for (var i = Parts.Count - 1; i >= 0; i--) next = Parts[i].Emit(e, next, whenFalse);
            return next;
        }

        public override string ToString() => string.Join(" and ", Parts.Select(p => $"({p})"));
    }

    private sealed record AnyOf(IReadOnlyList<ArgumentMatch> Parts) : ArgumentMatch
    {
        public override bool Matches(IReadOnlyList<ulong> args) => Parts.Any(p => p.Matches(args));

        internal override BpfEmitter.Label Emit(BpfEmitter e, BpfEmitter.Label whenTrue, BpfEmitter.Label whenFalse)
        {
            var next = whenFalse;
            for (var i = Parts.Count - 1; i >= 0; i--) next = Parts[i].Emit(e, whenTrue, next);
            return next;
        }

        public override string ToString() => string.Join(" or ", Parts.Select(p => $"({p})"));
    }
}
