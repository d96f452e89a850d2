using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Sandlock.StartupOrder;

/// <summary>The ptrace, wait and signal calls the tracer makes, and the x86-64 register set it reads.</summary>
internal static partial class Ptrace
{
    public const int Cont = 7, GetRegisters = 12, SetRegisters = 13, Seize = 0x4206;
    public const int TraceClone = 0x8, TraceExec = 0x10, ExitKill = 0x100000;
    public const int EventExec = 4, EventStop = 128;
    public const int WaitAll = 0x40000000;
    public const int SigTrap = 5, SigCont = 18;

    [LibraryImport("libc", EntryPoint = "ptrace", SetLastError = true)]
    public static partial long Request(long request, int pid, nint address, nint data);

    [LibraryImport("libc", EntryPoint = "ptrace", SetLastError = true)]
    public static partial long Registers(long request, int pid, nint address, ref RegisterSet registers);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    public static partial int Wait(int pid, out int status, int options);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Signal(int pid, int signal);

    // Not Process.Start: the runtime's SIGCHLD handler waits for the processes it started and would take the tracee's
    // ptrace stops from the tracer.
    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    public static partial int Spawn(out int pid, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, nint fileActions, nint attributes, nint[] argv, nint[] envp);
}

/// <summary>struct user_regs_struct of x86-64: 27 words, the instruction pointer the 17th.</summary>
[InlineArray(27)]
internal struct RegisterSet
{
    private ulong _word;

    public ulong InstructionPointer
    {
        get => this[16];
        set => this[16] = value;
    }
}
