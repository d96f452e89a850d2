namespace Sandlock.Interop;

/// <summary>
/// The ptrace requests checkpoint and restore use (x86_64). Every request after <see cref="Seize"/> must come from the
/// thread that seized: the kernel makes that thread, not the process, the tracer.
/// </summary>
internal static unsafe class Ptrace
{
    private const long SysPtrace = 101, SysGetRobustList = 274;
    private const long PTRACE_SYSCALL = 24, PTRACE_CONT = 7, PTRACE_GETREGS = 12, PTRACE_SETREGS = 13, PTRACE_DETACH = 17,
        PTRACE_GETREGSET = 0x4204, PTRACE_SETREGSET = 0x4205, PTRACE_SEIZE = 0x4206, PTRACE_INTERRUPT = 0x4207,
        PTRACE_GETSIGMASK = 0x420a, PTRACE_SETSIGMASK = 0x420b, PTRACE_GET_RSEQ_CONFIGURATION = 0x420f;

    /// <summary>The tracee is killed if the tracer exits: a half-restored process must not run on.</summary>
    public const long OptionExitKill = 0x100000;

    /// <summary>Syscall stops report SIGTRAP | 0x80, told apart from a breakpoint's SIGTRAP.</summary>
    public const long OptionTraceSysGood = 1;

    public const int SyscallStopSignal = 5 | 0x80;

    public const int NT_X86_XSTATE = 0x202;

    /// <summary>sizeof(struct user_regs_struct) on x86_64.</summary>
    public const int RegistersSize = 27 * 8;

    /// <summary>Indexes of struct user_regs_struct's fields (8 bytes each) the checkpoint code reads or sets.</summary>
    public const int RegRax = 10, RegRip = 16, RegCs = 17, RegRsp = 19, RegOrigRax = 15, RegRdi = 14, RegRsi = 13, RegRdx = 12,
        RegR8 = 9, RegR9 = 8, RegR10 = 7;

    private static int Request(long request, int pid, long address, long data) =>
        Libc.Syscall(SysPtrace, request, pid, address, data) < 0 ? Libc.LastError : 0;

    /// <summary>Each returns 0 or the errno.</summary>
    public static int Seize(int pid, long options) => Request(PTRACE_SEIZE, pid, 0, options);

    public static int Interrupt(int pid) => Request(PTRACE_INTERRUPT, pid, 0, 0);

    public static int Continue(int pid, int signal = 0) => Request(PTRACE_CONT, pid, 0, signal);

    /// <summary>Continues to the next syscall entry or exit.</summary>
    public static int ContinueToSyscall(int pid) => Request(PTRACE_SYSCALL, pid, 0, 0);

    public static int Detach(int pid, int signal = 0) => Request(PTRACE_DETACH, pid, 0, signal);

    public static int GetRegisters(int pid, Span<byte> registers)
    {
        if (registers.Length < RegistersSize) throw new ArgumentException("too small for user_regs_struct", nameof(registers));
        fixed (byte* p = registers) return Request(PTRACE_GETREGS, pid, 0, (long)p);
    }

    public static int SetRegisters(int pid, ReadOnlySpan<byte> registers)
    {
        if (registers.Length < RegistersSize) throw new ArgumentException("too small for user_regs_struct", nameof(registers));
        fixed (byte* p = registers) return Request(PTRACE_SETREGS, pid, 0, (long)p);
    }

    /// <summary>Reads a register set into <paramref name="buffer"/>; the bytes the kernel filled, or -errno.</summary>
    public static int GetRegisterSet(int pid, int type, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            var iov = stackalloc ulong[2] { (ulong)p, (ulong)buffer.Length };
            var error = Request(PTRACE_GETREGSET, pid, type, (long)iov);
            return error != 0 ? -error : (int)iov[1];
        }
    }

    public static int SetRegisterSet(int pid, int type, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var iov = stackalloc ulong[2] { (ulong)p, (ulong)data.Length };
            return Request(PTRACE_SETREGSET, pid, type, (long)iov);
        }
    }

    public static int GetSignalMask(int pid, out ulong mask)
    {
        ulong value = 0;
        var error = Request(PTRACE_GETSIGMASK, pid, sizeof(ulong), (long)&value);
        mask = value;
        return error;
    }

    public static int SetSignalMask(int pid, ulong mask) => Request(PTRACE_SETSIGMASK, pid, sizeof(ulong), (long)&mask);

    /// <summary>The tracee's rseq registration (Linux 5.13+): area, length, signature; a zero area when none.</summary>
    public static int GetRseq(int pid, out (ulong Area, uint Length, uint Signature) rseq)
    {
        // struct ptrace_rseq_configuration { u64 rseq_abi_pointer; u32 rseq_abi_size; u32 signature; u32 flags; u32 pad; }
        var config = stackalloc ulong[3];
        var error = Request(PTRACE_GET_RSEQ_CONFIGURATION, pid, 24, (long)config);
        rseq = (config[0], (uint)config[1], (uint)(config[1] >> 32));
        return error;
    }

    /// <summary>get_robust_list of another process (needs the same ptrace access as reading its memory).</summary>
    public static int GetRobustList(int pid, out (ulong Head, ulong Length) list)
    {
        ulong head = 0, length = 0;
        var error = Libc.Syscall(SysGetRobustList, pid, (long)&head, (long)&length) < 0 ? Libc.LastError : 0;
        list = (head, length);
        return error;
    }

    /// <summary>What waiting for a tracee saw: its end, or a stop with its signal and ptrace event (0 for a signal-delivery stop).</summary>
    public readonly record struct Stop(bool Exited, int Signal, int Event);

    private const int WSTOPPED = 2, WEXITED = 4, WNOWAIT = 0x1000000, WALL = 0x40000000, CLD_TRAPPED = 4, CLD_STOPPED = 5;

    /// <summary>
    /// Waits until the tracee stops (its stop signal) or has ended (Exited; it is left unreaped for the sandbox's
    /// watcher, which owns the exit status).
    /// </summary>
    public static Stop WaitForStop(int pid)
    {
        var info = stackalloc byte[128];
        while (true)
        {
            if (Libc.WaitId(Libc.P_PID, pid, info, WSTOPPED | WEXITED | WNOWAIT | WALL) < 0)
            {
                if (Libc.LastError == 4 /* EINTR */) continue;
                return new Stop(true, 0, 0);
            }
            var code = *(int*)(info + 8);
            if (code is not (CLD_TRAPPED or CLD_STOPPED)) return new Stop(true, 0, 0);
            var status = *(int*)(info + 24);
            // Consume the stop now that it is known not to be the end (an end is never consumed here).
            Libc.WaitId(Libc.P_PID, pid, info, WSTOPPED | Libc.WNOHANG | WALL);
            return new Stop(false, status & 0xff, (status >> 8) & 0xff);
        }
    }
}
