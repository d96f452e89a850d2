using Sandlock.Interop;

namespace Sandlock.Confinement.Seccomp;

/// <summary>
/// Assembles a classic BPF program back to front, so every jump target already exists when the jump is written.
/// Conditional jumps whose target is further than their 8-bit offsets reach go through an unconditional
/// <c>JA</c> trampoline, whose offset is 32 bits.
/// </summary>
internal sealed class BpfEmitter
{
    // Instructions in reverse program order: index 0 is the last instruction.
    private readonly List<SockFilter> _reversed = [];

    /// <summary>A position in the program, counted from its end so it stays valid while earlier code is added.</summary>
    public readonly record struct Label(int FromEnd);

    /// <summary>The instruction emitted last, which is the one that runs next after anything emitted from now on.</summary>
    public Label Next => _reversed.Count > 0
        ? new(_reversed.Count - 1)
        : throw new InvalidOperationException("nothing has been emitted yet");

    public int Count => _reversed.Count;

    public Label Return(uint action) => Emit(new(Bpf.RetK, 0, 0, action));

    public Label Load(uint offset) => Emit(new(Bpf.LdWAbs, 0, 0, offset));

    public Label And(uint mask) => Emit(new(Bpf.AndK, 0, 0, mask));

    public Label Goto(Label target) => Emit(new(Bpf.Ja, 0, 0, (uint)Distance(target)));

    public Label JumpIfEqual(uint k, Label whenTrue, Label whenFalse) => Jump(Bpf.JeqK, k, whenTrue, whenFalse);

    public Label JumpIfGreaterOrEqual(uint k, Label whenTrue, Label whenFalse) => Jump(Bpf.JgeK, k, whenTrue, whenFalse);

    public Label JumpIfAnySet(uint mask, Label whenTrue, Label whenFalse) => Jump(Bpf.JsetK, mask, whenTrue, whenFalse);

    public SockFilter[] ToArray()
    {
        var program = _reversed.ToArray();
        Array.Reverse(program);
        return program;
    }

    private Label Jump(ushort code, uint k, Label whenTrue, Label whenFalse)
    {
        // The false check comes second because a true trampoline pushes the false target one further away.
        if (Distance(whenTrue) > Bpf.MaxConditionalJump)
            whenTrue = Goto(whenTrue);
        if (Distance(whenFalse) > Bpf.MaxConditionalJump)
            whenFalse = Goto(whenFalse);
        return Emit(new(code, checked((byte)Distance(whenTrue)), checked((byte)Distance(whenFalse)), k));
    }

    /// <summary>The jump offset an instruction emitted now needs to reach <paramref name="target"/>.</summary>
    private int Distance(Label target)
    {
        if (target.FromEnd < 0 || target.FromEnd >= _reversed.Count)
            throw new ArgumentOutOfRangeException(nameof(target), "jump target has not been emitted");
        return _reversed.Count - 1 - target.FromEnd;
    }

    private Label Emit(SockFilter instruction)
    {
        if (_reversed.Count >= Bpf.MaxInstructions)
            throw new InvalidOperationException($"seccomp program exceeds {Bpf.MaxInstructions} instructions");
        _reversed.Add(instruction);
        return new(_reversed.Count - 1);
    }
}
