using System.Buffers.Binary;
using System.Globalization;
using Sandlock.Interop;

namespace Sandlock.Lifecycle.Checkpoints;

/// <summary>
/// Writes a stopped copy of a single-threaded process into a folder: it seizes the process with ptrace, interrupts
/// it, refuses what a restore could not rebuild, and saves registers, memory (from /proc/PID/mem, which reads every
/// mapping whatever its protection), open files by path and offset, and the working directory. Everything runs on
/// the calling thread, which is the tracer for the whole capture.
/// </summary>
internal static class ProcessCapture
{
    private const int PageSize = 4096;
    private const int PtraceEventStop = 128;

    public static void Capture(int pid, IReadOnlyList<string> command, string folder, Func<CheckpointImage, CheckpointImage> keepPolicy, Action? whileStopped)
    {
        PtraceAccess.Require();
        var error = Ptrace.Seize(pid, 0);
        if (error != 0) throw PtraceAccess.SeizeRefused(pid, error, "checkpoint the sandbox");
        try
        {
            StopForCapture(pid);
            var image = Describe(pid, command);
            // The memory of a process holds whatever secrets it had: only this user may read the folder made for it.
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            WriteRegisters(pid, folder);
            image = image with { Regions = WriteMemory(pid, image.Regions, Path.Combine(folder, CheckpointImage.MemoryFile)) };
            keepPolicy(image).Write(folder);
            whileStopped?.Invoke();
        }
        finally
        {
            // Fails harmlessly (ESRCH) when whileStopped killed it.
            Ptrace.Detach(pid);
        }
    }

    /// <summary>Interrupts the process; a signal arriving first is delivered and the interrupt waited for again.</summary>
    private static void StopForCapture(int pid)
    {
        var error = Ptrace.Interrupt(pid);
        if (error != 0) throw new SandboxCheckpointException($"cannot interrupt pid {pid}: {Libc.ErrorText(error)}");
        while (true)
        {
            var stop = Ptrace.WaitForStop(pid);
            if (stop.Exited) throw new SandboxCheckpointException($"the sandbox (pid {pid}) ended before it could be checkpointed");
            if (stop.Event == PtraceEventStop) return;
            // A signal-delivery stop: pass the signal on, as if nobody had looked.
            Ptrace.Continue(pid, stop.Signal);
        }
    }

    private static CheckpointImage Describe(int pid, IReadOnlyList<string> command)
    {
        RefuseWhatCannotBeRestored(pid);
        var status = ProcStatus(pid);
        if (Ptrace.GetSignalMask(pid, out var mask) is not 0 and var e1) throw Failed(pid, "read the signal mask", e1);
        if (Ptrace.GetRobustList(pid, out var robust) is not 0 and var e2) throw Failed(pid, "read the robust futex list", e2);
        var rseq = (Area: 0UL, Length: 0U, Signature: 0U);
        // EIO: a kernel without the request (before 5.13); a process without rseq has a zero area either way.
        if (Ptrace.GetRseq(pid, out var config) == 0) rseq = config;
        return new CheckpointImage
        {
            Architecture = "x86_64",
            Kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim(),
            Pid = pid,
            Command = command,
            Taken = DateTimeOffset.UtcNow,
            Name = File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n'),
            WorkingDirectory = WorkingDirectory(pid),
            SignalMask = mask,
            IgnoredSignals = Signals(status["SigIgn"]).Where(s => s is not (9 or 19)).ToList(),
            RobustListHead = robust.Head,
            RobustListLength = robust.Length,
            RseqArea = rseq.Area,
            RseqLength = rseq.Length,
            RseqSignature = rseq.Signature,
            Regions = Regions(pid),
            Files = OpenFiles(pid, out var stdio),
            Stdio = stdio,
        };
    }

    private static void RefuseWhatCannotBeRestored(int pid)
    {
        var threads = Directory.GetDirectories($"/proc/{pid}/task").Length;
        if (threads > 1)
            throw new SandboxCheckpointException($"pid {pid} has {threads} threads; only single-threaded processes can be checkpointed");
        var children = Children(pid);
        if (children.Length > 0)
            throw new SandboxCheckpointException($"pid {pid} has child processes ({children}); only a sandbox of one process can be checkpointed");
        var status = ProcStatus(pid);
        var handled = Signals(status["SigCgt"]);
        if (handled.Count > 0)
            throw new SandboxCheckpointException(
                $"pid {pid} has signal handlers for signals {string.Join(", ", handled)}; restoring signal handlers is not supported");
        var pending = Signals(status["SigPnd"]).Union(Signals(status["ShdPnd"])).Order().ToList();
        if (pending.Count > 0)
            throw new SandboxCheckpointException($"pid {pid} has signals {string.Join(", ", pending)} pending (blocked); a restore would lose them");
    }

    /// <summary>The pids of its children (zombies too), from /proc/PID/task/PID/children or, without it, every process's parent.</summary>
    private static string Children(int pid)
    {
        var file = $"/proc/{pid}/task/{pid}/children";
        if (File.Exists(file)) return File.ReadAllText(file).Trim();
        var children = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir);
            if (!name.All(char.IsAsciiDigit)) continue;
            try
            {
                // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count from the last ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[1] == pid.ToString(CultureInfo.InvariantCulture)) children.Add(name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Ended while listed.
            }
        }
        return string.Join(' ', children);
    }

    private static Dictionary<string, string> ProcStatus(int pid) =>
        File.ReadLines($"/proc/{pid}/status").Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
            .ToDictionary(p => p[0], p => p[1].Trim());

    private static List<int> Signals(string hexMask)
    {
        var mask = ulong.Parse(hexMask, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return [.. Enumerable.Range(1, 64).Where(s => (mask & (1UL << (s - 1))) != 0)];
    }

    private static string WorkingDirectory(int pid)
    {
        var cwd = new FileInfo($"/proc/{pid}/cwd").LinkTarget ?? throw new SandboxCheckpointException($"cannot read the working directory of pid {pid}");
        if (cwd.EndsWith(" (deleted)", StringComparison.Ordinal))
            throw new SandboxCheckpointException($"the working directory of pid {pid} ({cwd}) has been deleted");
        return cwd;
    }

    private static List<ImageRegion> Regions(int pid)
    {
        var regions = new List<ImageRegion>();
        foreach (var range in MappedRange.Read(pid))
        {
            if (range.IsVsyscall) continue;
            if (range.IsShared)
                throw new SandboxCheckpointException(
                    $"pid {pid} has a shared mapping at 0x{range.Start:x} ({(range.Name.Length == 0 ? "anonymous" : range.Name)}); shared memory cannot be restored");
            regions.Add(new ImageRegion(range.Start, range.End, range.Permissions, range.Name, range.IsKernelMapping ? null : 0));
        }
        return regions;
    }

    /// <summary>fds 0-2 are described only; others must be files reopenable by path.</summary>
    private static List<ImageFile> OpenFiles(int pid, out List<string> stdio)
    {
        stdio = [];
        var files = new List<ImageFile>();
        var fds = Directory.GetFiles($"/proc/{pid}/fd").Select(f => int.Parse(Path.GetFileName(f), CultureInfo.InvariantCulture)).Order();
        foreach (var fd in fds)
        {
            var target = new FileInfo($"/proc/{pid}/fd/{fd}").LinkTarget ?? "?";
            if (fd <= 2)
            {
                stdio.Add($"{fd}: {target}");
                continue;
            }
            var kind = Unrestorable(pid, fd, target);
            if (kind is not null)
                throw new SandboxCheckpointException($"fd {fd} of pid {pid} is {kind} ({target}); only files, folders and devices reopened by path can be restored");
            var info = File.ReadLines($"/proc/{pid}/fdinfo/{fd}").Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
                .ToDictionary(p => p[0], p => p[1].Trim());
            var flags = Convert.ToInt32(info["flags"], 8);
            var seekable = IsSeekable(pid, fd) && (flags & OPath) == 0;
            files.Add(new ImageFile(fd, target, flags & ~NotReopened, seekable ? long.Parse(info["pos"], CultureInfo.InvariantCulture) : null));
        }
        return files;
    }

    // O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC: what opened the file once must not create or truncate it again.
    private const int NotReopened = 0x40 | 0x80 | 0x100 | 0x200;
    private const int OPath = 0x200000;
    private const uint FileTypeMask = 0xF000, RegularFile = 0x8000, Directory_ = 0x4000, CharDevice = 0x2000;

    private static string? Unrestorable(int pid, int fd, string target)
    {
        if (target.StartsWith("socket:", StringComparison.Ordinal)) return "a socket";
        if (target.StartsWith("pipe:", StringComparison.Ordinal)) return "a pipe (only fds 0-2 may be pipes: they become the restoring sandbox's stdio)";
        if (target.StartsWith("anon_inode:", StringComparison.Ordinal)) return "a kernel object without a path";
        if (!target.StartsWith('/')) return "not a file";
        if (target.EndsWith(" (deleted)", StringComparison.Ordinal)) return "a deleted file";
        return FileType(pid, fd) switch
        {
            RegularFile or Directory_ or CharDevice => null,
            _ => "neither a regular file, a folder nor a character device",
        };
    }

    private static bool IsSeekable(int pid, int fd) => FileType(pid, fd) is RegularFile or Directory_;

    private static uint FileType(int pid, int fd)
    {
        var handle = Libc.Open($"/proc/{pid}/fd/{fd}", OPath | Libc.O_CLOEXEC);
        if (handle < 0) throw Failed(pid, $"open fd {fd}", Libc.LastError);
        try
        {
            Span<byte> stat = stackalloc byte[256];
            if (FileCalls.Stat(handle, stat) != 0) throw Failed(pid, $"stat fd {fd}", Libc.LastError);
            return BinaryPrimitives.ReadUInt32LittleEndian(stat[24..]) & FileTypeMask;
        }
        finally
        {
            Libc.Close(handle);
        }
    }

    private static void WriteRegisters(int pid, string folder)
    {
        var registers = new byte[Ptrace.RegistersSize];
        if (Ptrace.GetRegisters(pid, registers) is not 0 and var error) throw Failed(pid, "read the registers", error);
        if (Register(registers, Ptrace.RegCs) != 0x33)
            throw new SandboxCheckpointException($"pid {pid} is not a 64-bit process; only x86_64 programs can be checkpointed");
        ResumeInterruptedSyscall(registers);
        File.WriteAllBytes(Path.Combine(folder, CheckpointImage.RegistersFile), registers);
        var extended = new byte[64 * 1024];
        var length = Ptrace.GetRegisterSet(pid, Ptrace.NT_X86_XSTATE, extended);
        if (length < 0) throw Failed(pid, "read the FPU and vector registers", -length);
        File.WriteAllBytes(Path.Combine(folder, CheckpointImage.ExtendedStateFile), extended[..length]);
    }

    /// <summary>
    /// A process interrupted inside a syscall stops with the kernel's restart code in rax. The saved registers are
    /// made to repeat the syscall (or, where the kernel kept restart state of its own, to return EINTR from it), so a
    /// restore needs nothing of the kernel's state: orig_rax is cleared.
    /// </summary>
    private static void ResumeInterruptedSyscall(byte[] registers)
    {
        const long ERESTARTSYS = -512, ERESTARTNOINTR = -513, ERESTARTNOHAND = -514, ERESTART_RESTARTBLOCK = -516, EINTR = -4;
        var syscall = (long)Register(registers, Ptrace.RegOrigRax);
        if (syscall >= 0)
        {
            switch ((long)Register(registers, Ptrace.RegRax))
            {
                case ERESTARTSYS or ERESTARTNOINTR or ERESTARTNOHAND:
                    SetRegister(registers, Ptrace.RegRax, (ulong)syscall);
                    SetRegister(registers, Ptrace.RegRip, Register(registers, Ptrace.RegRip) - 2);
                    break;
                case ERESTART_RESTARTBLOCK:
                    SetRegister(registers, Ptrace.RegRax, unchecked((ulong)EINTR));
                    break;
            }
        }
        SetRegister(registers, Ptrace.RegOrigRax, ulong.MaxValue);
    }

    internal static ulong Register(ReadOnlySpan<byte> registers, int index) => BinaryPrimitives.ReadUInt64LittleEndian(registers[(index * 8)..]);

    internal static void SetRegister(Span<byte> registers, int index, ulong value) => BinaryPrimitives.WriteUInt64LittleEndian(registers[(index * 8)..], value);

    /// <summary>
    /// Copies each mapping into memory.bin, one after the other; pages of zeros are left as holes (the file stays
    /// sparse, and a restore skips them: fresh anonymous memory is zero). A page the kernel cannot read (a file
    /// mapping past the end of its file) is saved as zeros.
    /// </summary>
    private static List<ImageRegion> WriteMemory(int pid, IReadOnlyList<ImageRegion> regions, string path)
    {
        using var memory = File.OpenHandle($"/proc/{pid}/mem", FileMode.Open, FileAccess.Read);
        using var output = File.Open(path, FileMode.Create, FileAccess.Write);
        var placed = new List<ImageRegion>();
        var buffer = new byte[1 << 20];
        long offset = 0;
        foreach (var region in regions)
        {
            if (region.IsKernelMapping)
            {
                placed.Add(region);
                continue;
            }
            placed.Add(region with { MemoryOffset = offset });
            for (ulong done = 0; done < region.Length; done += (ulong)buffer.Length)
            {
                var chunk = (int)Math.Min((ulong)buffer.Length, region.Length - done);
                ReadMemory(memory, region.Start + done, buffer.AsSpan(0, chunk));
                for (var page = 0; page < chunk; page += PageSize)
                {
                    var bytes = buffer.AsSpan(page, Math.Min(PageSize, chunk - page));
                    if (!bytes.ContainsAnyExcept((byte)0)) continue;
                    output.Position = offset + (long)done + page;
                    output.Write(bytes);
                }
            }
            offset += (long)region.Length;
        }
        output.SetLength(offset);
        return placed;
    }

    private static void ReadMemory(Microsoft.Win32.SafeHandles.SafeFileHandle memory, ulong address, Span<byte> buffer)
    {
        try
        {
            if (RandomAccess.Read(memory, buffer, (long)address) == buffer.Length) return;
        }
        catch (IOException)
        {
            // Some page in the chunk is unreadable: read page by page below.
        }
        for (var page = 0; page < buffer.Length; page += PageSize)
        {
            var bytes = buffer.Slice(page, Math.Min(PageSize, buffer.Length - page));
            try
            {
                if (RandomAccess.Read(memory, bytes, (long)address + page) == bytes.Length) continue;
            }
            catch (IOException)
            {
            }
            bytes.Clear();
        }
    }

    private static SandboxCheckpointException Failed(int pid, string what, int error) =>
        new($"checkpoint of pid {pid}: cannot {what}: {Libc.ErrorText(error)}");
}
