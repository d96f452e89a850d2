using System.Buffers.Binary;
using Sandlock.Interop;

namespace Sandlock.Lifecycle.Checkpoints;

/// <summary>
/// Turns a started restore stub (native/sandlock_restore.c, running confined in its sandbox) into the checkpointed
/// process: it traces the stub, gives it the plan (move the vDSO where the process had it, map every region, reopen
/// its files, change to its working directory), writes the saved memory into the regions, and sets the saved
/// registers before letting go. The supervisor here only writes memory and registers of a confined process; every
/// file the restored process holds was opened by the stub itself, under the sandbox's Landlock ruleset.
/// Runs on the calling thread, the tracer for the whole restore.
/// </summary>
internal static class Restorer
{
    private const int PageSize = 4096, SigTrap = 5, PtraceEventStop = 128, HeaderSize = 24;
    private const ulong ScratchBase = 0x3e0000000000;

    /// <summary>Checks a folder before anything is started for it.</summary>
    public static CheckpointImage Load(string folder)
    {
        PtraceAccess.Require();
        if (!Directory.Exists(folder)) throw new SandboxCheckpointException($"{folder}: no such checkpoint folder");
        var image = CheckpointImage.Read(folder);
        var file = Path.Combine(folder, CheckpointImage.FileName);
        if (image.Format != CheckpointImage.CurrentFormat)
            throw new SandboxCheckpointException($"{file}: format {image.Format}; this version reads format {CheckpointImage.CurrentFormat}");
        if (image.Architecture != "x86_64")
            throw new SandboxCheckpointException($"{file}: a checkpoint of {image.Architecture}; only x86_64 can be restored");
        var kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        if (image.Kernel != kernel)
            throw new SandboxCheckpointException($"{file}: taken on kernel {image.Kernel}; this is {kernel} (the vDSO the process uses belongs to the kernel)");
        foreach (var name in (string[])[CheckpointImage.MemoryFile, CheckpointImage.RegistersFile, CheckpointImage.ExtendedStateFile])
            if (!File.Exists(Path.Combine(folder, name)))
                throw new SandboxCheckpointException($"{folder}: {name} is missing");
        if (new FileInfo(Path.Combine(folder, CheckpointImage.RegistersFile)).Length != Ptrace.RegistersSize)
            throw new SandboxCheckpointException($"{folder}: {CheckpointImage.RegistersFile} is not {Ptrace.RegistersSize} bytes");
        var memory = Path.Combine(folder, CheckpointImage.MemoryFile);
        var needed = image.Regions.Where(r => r.MemoryOffset is not null).Select(r => r.MemoryOffset!.Value + (long)r.Length).DefaultIfEmpty(0).Max();
        if (new FileInfo(memory).Length is var length && length < needed)
            throw new SandboxCheckpointException($"{memory}: {length} bytes, where the regions of {CheckpointImage.FileName} need {needed}: the memory file is truncated");
        return image;
    }

    public static void Restore(int pid, string stubPath, string folder, CheckpointImage image)
    {
        var error = Ptrace.Seize(pid, Ptrace.OptionExitKill | Ptrace.OptionTraceSysGood);
        if (error != 0) throw PtraceAccess.SeizeRefused(pid, error, "restore the checkpoint");
        var registers = new byte[Ptrace.RegistersSize];
        WaitInLoop(pid, registers);
        var planAddress = ProcessCapture.Register(registers, Ptrace.RegRdi);
        var entry = ProcessCapture.Register(registers, Ptrace.RegRsi);
        var capacity = (int)ProcessCapture.Register(registers, Ptrace.RegRdx);
        var syscallInstruction = ProcessCapture.Register(registers, Ptrace.RegR8);
        var stubImage = (Start: ProcessCapture.Register(registers, Ptrace.RegR9), End: PageUp(ProcessCapture.Register(registers, Ptrace.RegR10)));

        var plan = Plan(pid, stubPath, image);
        var encoded = plan.Encode(planAddress, capacity)
            ?? throw new SandboxCheckpointException($"{folder}: too many mappings and files for the restore stub ({plan.Count} operations)");
        if (!ProcessMemory.Write(pid, planAddress, encoded)) throw Failed("write the restore plan into the stub", Libc.LastError);

        // Into the stub's `run`, as if called from the top of its stack; no syscall is to be restarted.
        ProcessCapture.SetRegister(registers, Ptrace.RegRip, entry);
        ProcessCapture.SetRegister(registers, Ptrace.RegRsp, ProcessCapture.Register(registers, Ptrace.RegRsp) - 8);
        ProcessCapture.SetRegister(registers, Ptrace.RegOrigRax, ulong.MaxValue);
        if (Ptrace.SetRegisters(pid, registers) is not 0 and var e1) throw Failed("start the restore stub", e1);

        RunToTrap(pid, planAddress, plan);
        WriteMemory(pid, folder, image);
        RunToTrap(pid, planAddress, plan);
        UnmapStub(pid, syscallInstruction, stubImage);

        var saved = File.ReadAllBytes(Path.Combine(folder, CheckpointImage.RegistersFile));
        if (Ptrace.SetRegisters(pid, saved) is not 0 and var e2) throw Failed("set the saved registers", e2);
        var extended = File.ReadAllBytes(Path.Combine(folder, CheckpointImage.ExtendedStateFile));
        if (Ptrace.SetRegisterSet(pid, Ptrace.NT_X86_XSTATE, extended) is not 0 and var e3) throw Failed("set the saved FPU and vector registers", e3);
        if (Ptrace.SetSignalMask(pid, image.SignalMask) is not 0 and var e4) throw Failed("set the saved signal mask", e4);
        if (Ptrace.Detach(pid) is not 0 and var e5) throw Failed("let the restored process run", e5);
    }

    /// <summary>Interrupts the stub in its pause() loop, where rdi, rsi and rdx hold the plan, the entry and the capacity.</summary>
    private static void WaitInLoop(int pid, byte[] registers)
    {
        while (true)
        {
            if (Ptrace.Interrupt(pid) is not 0 and var error) throw Failed("interrupt the restore stub", error);
            var stop = Ptrace.WaitForStop(pid);
            if (stop.Exited) throw new SandboxCheckpointException("the restore stub ended before the restore began");
            if (stop.Event != PtraceEventStop)
                throw new SandboxCheckpointException($"the restore stub stopped with signal {stop.Signal} before the restore began");
            if (Ptrace.GetRegisters(pid, registers) is not 0 and var e) throw Failed("read the stub's registers", e);
            if (ProcessCapture.Register(registers, Ptrace.RegRdi) != 0 && ProcessCapture.Register(registers, Ptrace.RegRsi) != 0) return;
            // Stopped before its first instructions ran: let it reach the loop.
            if (Ptrace.Continue(pid) is not 0 and var c) throw Failed("continue the restore stub", c);
        }
    }

    private static RestorePlan Plan(int pid, string stubPath, CheckpointImage image)
    {
        var stub = MappedRange.Read(pid);
        var kept = stub.Where(r => !r.IsKernelMapping && r.Name != "[stack]" && !r.IsVsyscall).ToList();
        var regions = image.Regions.Where(r => !r.IsKernelMapping).ToList();
        foreach (var region in regions)
            if (kept.FirstOrDefault(k => region.Overlaps(k.Start, k.End)) is { } clash)
                throw new SandboxCheckpointException(
                    $"the checkpointed process has memory at 0x{region.Start:x}-0x{region.End:x}, where the restore stub {stubPath} lies (0x{clash.Start:x}-0x{clash.End:x})");

        var plan = new RestorePlan();
        foreach (var stack in stub.Where(r => r.Name == "[stack]")) plan.Unmap(stack.Start, stack.Length);
        PlaceKernelMappings(plan, [.. stub.Where(r => r.IsKernelMapping)], [.. image.Regions.Where(r => r.IsKernelMapping)], regions, kept);
        foreach (var region in regions) plan.Map(region.Start, region.Length, region.IsStack);
        plan.StopForContents();
        foreach (var region in regions) plan.Protect(region.Start, region.Length, region.ProtectionBits);
        foreach (var file in image.Files.OrderBy(f => f.Fd)) plan.Open(file.Path, file.Flags, file.Offset, file.Fd);
        plan.ChangeDirectory(image.WorkingDirectory);
        plan.Name(image.Name);
        foreach (var signal in image.IgnoredSignals) plan.Ignore(signal);
        if (image.RobustListHead != 0) plan.RobustList(image.RobustListHead, image.RobustListLength);
        if (image.RseqArea != 0) plan.Rseq(image.RseqArea, image.RseqLength, image.RseqSignature);
        return plan;
    }

    /// <summary>
    /// The restored libc calls the vDSO where the process had it, so the stub's vDSO and its data pages move there,
    /// each by way of a scratch address so that no move lands on a mapping still to be moved. Same kernel, same layout.
    /// </summary>
    private static void PlaceKernelMappings(RestorePlan plan, List<MappedRange> stub, List<ImageRegion> saved, List<ImageRegion> regions, List<MappedRange> kept)
    {
        if (saved.Count == 0)
        {
            foreach (var mapping in stub) plan.Unmap(mapping.Start, mapping.Length);
            return;
        }
        var layout = string.Join(", ", stub.Select(m => $"{m.Name} {m.Length / PageSize} pages"));
        var savedLayout = string.Join(", ", saved.Select(m => $"{m.Name} {m.Length / PageSize} pages"));
        if (layout != savedLayout)
            throw new SandboxCheckpointException($"the kernel's vDSO mappings are {layout}; the checkpoint has {savedLayout}");
        var scratch = ScratchBase;
        var span = stub[^1].End - stub[0].Start;
        while (regions.Any(r => r.Overlaps(scratch, scratch + span)) || kept.Any(k => k.Start < scratch + span && scratch < k.End)
               || stub.Any(k => k.Start < scratch + span && scratch < k.End))
            scratch += 1UL << 32;
        foreach (var mapping in stub) plan.Move(mapping.Start, mapping.Length, scratch + (mapping.Start - stub[0].Start));
        for (var i = 0; i < stub.Count; i++) plan.Move(scratch + (stub[i].Start - stub[0].Start), stub[i].Length, saved[i].Start);
    }

    private static ulong PageUp(ulong address) => (address + PageSize - 1) & ~(ulong)(PageSize - 1);

    /// <summary>
    /// The stub's last act: munmap of its own image, run through its syscall instruction and stopped at the syscall's
    /// exit, before any instruction of the unmapped stub could run again. The restored process keeps nothing of it.
    /// </summary>
    private static void UnmapStub(int pid, ulong syscallInstruction, (ulong Start, ulong End) image)
    {
        const ulong Munmap = 11;
        var registers = new byte[Ptrace.RegistersSize];
        if (Ptrace.GetRegisters(pid, registers) is not 0 and var e1) throw Failed("read the stub's registers", e1);
        ProcessCapture.SetRegister(registers, Ptrace.RegRip, syscallInstruction);
        ProcessCapture.SetRegister(registers, Ptrace.RegRax, Munmap);
        ProcessCapture.SetRegister(registers, Ptrace.RegRdi, image.Start);
        ProcessCapture.SetRegister(registers, Ptrace.RegRsi, image.End - image.Start);
        ProcessCapture.SetRegister(registers, Ptrace.RegOrigRax, ulong.MaxValue);
        if (Ptrace.SetRegisters(pid, registers) is not 0 and var e2) throw Failed("point the stub at its syscall", e2);
        foreach (var edge in (string[])["entry", "exit"])
        {
            if (Ptrace.ContinueToSyscall(pid) is not 0 and var e3) throw Failed("continue the restore stub", e3);
            var stop = WaitPastSignals(pid, Ptrace.SyscallStopSignal, syscallStops: true);
            if (stop.Exited) throw new SandboxCheckpointException("the restore stub ended while unmapping itself");
            if (stop.Signal != Ptrace.SyscallStopSignal)
                throw new SandboxCheckpointException($"the restore stub stopped with signal {stop.Signal & 0x7f} instead of at its munmap {edge}");
        }
        if (Ptrace.GetRegisters(pid, registers) is not 0 and var e4) throw Failed("read the stub's registers", e4);
        if ((long)ProcessCapture.Register(registers, Ptrace.RegRax) is < 0 and var result)
            throw new SandboxCheckpointException($"restore failed unmapping the restore stub at 0x{image.Start:x}: {Libc.ErrorText((int)-result)}");
    }

    /// <summary>
    /// Waits for the stop the restore expects. A signal sent to the stub meanwhile (a CPU limit's SIGSTOP, a signal
    /// from outside) is discarded: the stub has no use for it and the process it becomes did not receive it.
    /// </summary>
    private static Ptrace.Stop WaitPastSignals(int pid, int expected, bool syscallStops)
    {
        while (true)
        {
            var stop = Ptrace.WaitForStop(pid);
            if (stop.Exited || stop.Event != 0 || stop.Signal == expected) return stop;
            var resumed = syscallStops ? Ptrace.ContinueToSyscall(pid) : Ptrace.Continue(pid);
            if (resumed != 0) throw Failed("continue the restore stub", resumed);
        }
    }

    /// <summary>Lets the stub run to its next int3; a failed operation is reported by name.</summary>
    private static void RunToTrap(int pid, ulong planAddress, RestorePlan plan)
    {
        if (Ptrace.Continue(pid) is not 0 and var error) throw Failed("continue the restore stub", error);
        var stop = WaitPastSignals(pid, SigTrap, syscallStops: false);
        if (stop.Exited) throw new SandboxCheckpointException("the restore stub ended during the restore (killed, or a memory limit too small for the process)");
        if (stop.Signal != SigTrap || stop.Event != 0)
            throw new SandboxCheckpointException($"the restore stub stopped with signal {stop.Signal} instead of at its breakpoint");
        Span<byte> header = stackalloc byte[HeaderSize];
        if (!ProcessMemory.Read(pid, planAddress, header)) throw Failed("read the restore stub's outcome", Libc.LastError);
        var failed = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        if (failed >= 0)
        {
            var errno = (int)BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
            throw new SandboxCheckpointException($"restore failed {plan.Describe(failed)}: {Libc.ErrorText(errno)}");
        }
    }

    /// <summary>Writes each region's saved pages; pages of zeros are skipped (the stub's fresh mappings are zero).</summary>
    private static void WriteMemory(int pid, string folder, CheckpointImage image)
    {
        using var memory = File.OpenHandle(Path.Combine(folder, CheckpointImage.MemoryFile));
        var buffer = new byte[1 << 20];
        foreach (var region in image.Regions)
        {
            if (region.MemoryOffset is not { } offset) continue;
            for (ulong done = 0; done < region.Length; done += (ulong)buffer.Length)
            {
                var chunk = (int)Math.Min((ulong)buffer.Length, region.Length - done);
                var read = RandomAccess.Read(memory, buffer.AsSpan(0, chunk), offset + (long)done);
                if (read != chunk) throw new SandboxCheckpointException($"{folder}: {CheckpointImage.MemoryFile} ends before the memory of 0x{region.Start:x}-0x{region.End:x}");
                for (var page = 0; page < chunk; page += PageSize)
                {
                    var bytes = buffer.AsSpan(page, Math.Min(PageSize, chunk - page));
                    if (!bytes.ContainsAnyExcept((byte)0)) continue;
                    if (!ProcessMemory.Write(pid, region.Start + done + (ulong)page, bytes))
                        throw Failed($"write the memory at 0x{region.Start + done + (ulong)page:x}", Libc.LastError);
                }
            }
        }
    }

    private static SandboxCheckpointException Failed(string what, int error) => new($"restore: cannot {what}: {Libc.ErrorText(error)}");
}
