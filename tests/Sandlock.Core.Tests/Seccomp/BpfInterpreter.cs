using Sandlock.Interop;
using System.Buffers.Binary;
using Sandlock.Confinement.Seccomp;

namespace Sandlock.Tests.Seccomp;

/// <summary>
/// Runs a seccomp classic-BPF program the way the kernel would, for the instructions the filter compiler emits;
/// anything else fails loudly rather than being guessed at.
/// </summary>
internal static class BpfInterpreter
{
    public static uint Run(SockFilter[] program, int nr, uint arch, params ulong[] args)
    {
        var data = new byte[64];
        BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(0), nr);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), arch);
        for (var i = 0; i < args.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(16 + 8 * i), args[i]);

        uint a = 0;
        var pc = 0;
        // Forward-only jumps guarantee termination; the step cap guards against an interpreter bug.
        for (var steps = 0; steps <= program.Length; steps++)
        {
            if (pc < 0 || pc >= program.Length)
                throw new InvalidOperationException($"pc {pc} ran off a program of {program.Length} instructions");
            var ins = program[pc];
            switch (ins.Code)
            {
                case 0x20: // LD W ABS
                    if (ins.K % 4 != 0 || ins.K + 4 > data.Length)
                        throw new InvalidOperationException($"bad load offset {ins.K} at {pc}");
                    a = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)ins.K));
                    pc++;
                    break;
                case 0x54: // ALU AND K
                    a &= ins.K;
                    pc++;
                    break;
                case 0x05: // JA
                    pc += 1 + checked((int)ins.K);
                    break;
                case 0x15: // JEQ K
                    pc += 1 + (a == ins.K ? ins.JumpTrue : ins.JumpFalse);
                    break;
                case 0x35: // JGE K
                    pc += 1 + (a >= ins.K ? ins.JumpTrue : ins.JumpFalse);
                    break;
                case 0x45: // JSET K
                    pc += 1 + ((a & ins.K) != 0 ? ins.JumpTrue : ins.JumpFalse);
                    break;
                case 0x06: // RET K
                    return ins.K;
                default:
                    throw new InvalidOperationException($"unsupported opcode 0x{ins.Code:x2} at {pc}");
            }
        }
        throw new InvalidOperationException("program did not return");
    }

    /// <summary>Every jump of <paramref name="program"/> lands inside it, and the last instruction returns.</summary>
    public static void AssertWellFormed(SockFilter[] program)
    {
        Assert.InRange(program.Length, 1, 4096);
        Assert.Equal(0x06, program[^1].Code);
        for (var pc = 0; pc < program.Length; pc++)
        {
            var ins = program[pc];
            switch (ins.Code)
            {
                case 0x05:
                    Assert.True(pc + 1 + (long)ins.K < program.Length, $"JA at {pc} jumps past the end");
                    break;
                case 0x15 or 0x35 or 0x45:
                    Assert.True(pc + 1 + ins.JumpTrue < program.Length, $"jt at {pc} jumps past the end");
                    Assert.True(pc + 1 + ins.JumpFalse < program.Length, $"jf at {pc} jumps past the end");
                    break;
                case 0x20 or 0x54 or 0x06:
                    break;
                default:
                    Assert.Fail($"unexpected opcode 0x{ins.Code:x2} at {pc}");
                    break;
            }
        }
    }
}
