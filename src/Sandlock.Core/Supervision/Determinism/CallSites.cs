using System.Buffers.Binary;
using Sandlock.Interop;

namespace Sandlock.Supervision.Determinism;

/// <summary>
/// Reads x86_64 call sites in a process: which function the call that returns to an address made, and whether the
/// code it returns to passes the result straight into another call as its first argument (<c>srand(time(NULL))</c>:
/// <c>mov edi, eax</c> or <c>mov rdi, rax</c>, then the call). A call reaches its function through a GOT slot (from
/// the PLT, with or without IBT's endbr64 and bnd, or directly) or by its address.
/// </summary>
internal static class CallSites
{
    /// <summary>A called function's address, or the address of the GOT slot holding it.</summary>
    public readonly record struct Callee(ulong Address, bool ThroughSlot);

    /// <summary>What the code at <paramref name="returnAddress"/> calls with the result of the call that returns there, or null.</summary>
    public static Callee? ResultPassedTo(int pid, ulong returnAddress)
    {
        Span<byte> code = stackalloc byte[9];
        if (!ProcessMemory.Read(pid, returnAddress, code)) return null;
        int move;
        if (code.StartsWith((ReadOnlySpan<byte>)[0x48, 0x89, 0xc7])) move = 3;        // mov rdi, rax
        else if (code.StartsWith((ReadOnlySpan<byte>)[0x89, 0xc7])) move = 2;          // mov edi, eax
        else return null;
        return Call(pid, code[move..], returnAddress + (ulong)move);
    }

    /// <summary>What the call instruction that ends at <paramref name="returnAddress"/> calls, or null if none ends there.</summary>
    public static Callee? CallEndingAt(int pid, ulong returnAddress)
    {
        Span<byte> code = stackalloc byte[6];
        if (!ProcessMemory.Read(pid, returnAddress - 6, code)) return null;
        if (code[1] == 0xe8) return Call(pid, code[1..], returnAddress - 5);
        return code[0] == 0xff && code[1] == 0x15 ? Call(pid, code, returnAddress - 6) : null;
    }

    /// <summary>Whether the instruction that ends at <paramref name="returnAddress"/> is a call through a register (<c>call rax</c>).</summary>
    public static bool IsRegisterCallEndingAt(int pid, ulong returnAddress)
    {
        Span<byte> code = stackalloc byte[2];
        return ProcessMemory.Read(pid, returnAddress - 2, code) && code[0] == 0xff && code[1] is >= 0xd0 and <= 0xd7;
    }

    /// <summary>What the call at the start of <paramref name="code"/>, found at <paramref name="address"/>, calls.</summary>
    private static Callee? Call(int pid, ReadOnlySpan<byte> code, ulong address)
    {
        if (code[0] == 0xe8)                                                            // call rel32
            return Through(pid, address + 5 + (ulong)(long)BinaryPrimitives.ReadInt32LittleEndian(code[1..]));
        if (code[0] == 0xff && code[1] == 0x15)                                         // call [rip + disp32]
            return new Callee(address + 6 + (ulong)(long)BinaryPrimitives.ReadInt32LittleEndian(code[2..]), ThroughSlot: true);
        return null;
    }

    /// <summary>The GOT slot a PLT entry at <paramref name="target"/> jumps through; the target itself if it is no PLT entry.</summary>
    private static Callee? Through(int pid, ulong target)
    {
        Span<byte> stub = stackalloc byte[11];
        if (!ProcessMemory.Read(pid, target, stub)) return null;
        var at = stub.StartsWith((ReadOnlySpan<byte>)[0xf3, 0x0f, 0x1e, 0xfa]) ? 4 : 0;  // endbr64
        if (stub[at] == 0xf2) at++;                                                      // bnd
        if (stub[at] != 0xff || stub[at + 1] != 0x25) return new Callee(target, ThroughSlot: false);
        return new Callee(target + (ulong)at + 6 + (ulong)(long)BinaryPrimitives.ReadInt32LittleEndian(stub[(at + 2)..]), ThroughSlot: true);
    }
}
