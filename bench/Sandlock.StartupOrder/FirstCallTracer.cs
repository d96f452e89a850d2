using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Sandlock.StartupOrder;

/// <summary>
/// Runs a NativeAOT binary with an int3 on the entry of every managed method and lists the methods in the order of their
/// first call: each breakpoint is removed when first hit, so the run stops once per method it calls, not per call.
/// Threads the binary starts are traced too (a breakpoint hit there would otherwise kill it); a child it forks is not,
/// and runs no managed code before its exec.
/// </summary>
internal static class FirstCallTracer
{
    private const byte Breakpoint = 0xCC;

    public static IReadOnlyList<string> Trace(ManagedMethods methods, string binary, IReadOnlyList<string> arguments)
    {
        var pid = SpawnStopped(binary, arguments);
        // Opened at the exec: a handle on the shell's memory would stay on the shell's.
        SafeFileHandle? memory = null;
        var original = new Dictionary<ulong, byte>(methods.Names.Count);
        var order = new List<string>();
        try
        {
            Check(Ptrace.Request(Ptrace.Seize, pid, 0, Ptrace.TraceClone | Ptrace.TraceExec | Ptrace.ExitKill), "PTRACE_SEIZE");
            Ptrace.Signal(pid, Ptrace.SigCont);
            while (true)
            {
                var tid = Ptrace.Wait(-1, out var status, Ptrace.WaitAll);
                if (tid < 0) break;
                if (Exited(status))
                {
                    if (tid == pid) break;
                    continue;
                }
                var signal = (status >> 8) & 0xff;
                var ptraceEvent = status >> 16;
                var forward = 0;
                if (ptraceEvent == Ptrace.EventExec)
                {
                    memory = File.OpenHandle($"/proc/{pid}/mem", FileMode.Open, FileAccess.ReadWrite);
                    Arm(memory, methods, original);
                }
                else if (ptraceEvent == 0 && signal == Ptrace.SigTrap && memory is not null && TryHit(tid, memory, methods, original, out var name))
                {
                    if (name is not null) order.Add(name);
                }
                else if (ptraceEvent == 0)
                    forward = signal;
                Ptrace.Request(Ptrace.Cont, tid, 0, forward);
            }
        }
        finally
        {
            memory?.Dispose();
            Ptrace.Signal(pid, 9);
            while (Ptrace.Wait(-1, out _, Ptrace.WaitAll) > 0) { }
        }
        return order;
    }

    private static void Arm(SafeFileHandle memory, ManagedMethods methods, Dictionary<ulong, byte> original)
    {
        var code = new byte[methods.End - methods.Start];
        if (RandomAccess.Read(memory, code, (long)methods.Start) != code.Length)
            throw new InvalidOperationException("the binary's __managedcode could not be read whole");
        foreach (var entry in methods.Names.Keys)
        {
            var offset = (int)(entry - methods.Start);
            original[entry] = code[offset];
            code[offset] = Breakpoint;
        }
        RandomAccess.Write(memory, code, (long)methods.Start);
    }

    // A trap at a method's entry: its first hit removes the breakpoint; a second thread that hit it meanwhile only
    // steps back onto the restored instruction.
    private static bool TryHit(int tid, SafeFileHandle memory, ManagedMethods methods, Dictionary<ulong, byte> original, out string? name)
    {
        name = null;
        var registers = new RegisterSet();
        Check(Ptrace.Registers(Ptrace.GetRegisters, tid, 0, ref registers), "PTRACE_GETREGS");
        var entry = registers.InstructionPointer - 1;
        if (!methods.Names.TryGetValue(entry, out var method)) return false;
        if (original.Remove(entry, out var instruction))
        {
            RandomAccess.Write(memory, [instruction], (long)entry);
            name = method;
        }
        registers.InstructionPointer = entry;
        Check(Ptrace.Registers(Ptrace.SetRegisters, tid, 0, ref registers), "PTRACE_SETREGS");
        return true;
    }

    // The binary starts under a shell that stops itself before its exec, so the tracer attaches before the binary's
    // first instruction; the exec then reports the binary's own image.
    private static int SpawnStopped(string binary, IReadOnlyList<string> arguments)
    {
        string[] argv = ["/bin/sh", "-c", "kill -STOP $$ && exec \"$0\" \"$@\"", binary, .. arguments];
        var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => $"{e.Key}={e.Value}").ToArray();
        var native = argv.Concat(environment).Select(Marshal.StringToCoTaskMemUTF8).ToArray();
        try
        {
            nint[] nativeArgv = [.. native[..argv.Length], 0];
            nint[] nativeEnvironment = [.. native[argv.Length..], 0];
            var error = Ptrace.Spawn(out var pid, "/bin/sh", 0, 0, nativeArgv, nativeEnvironment);
            if (error != 0) throw new InvalidOperationException($"posix_spawn /bin/sh: errno {error}");
            while (!File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('T')) Thread.Sleep(1);
            return pid;
        }
        finally
        {
            foreach (var pointer in native) Marshal.FreeCoTaskMem(pointer);
        }
    }

    // Anything but a stop: an exit, or the end by a signal.
    private static bool Exited(int status) => (status & 0x7f) != 0x7f;

    private static void Check(long result, string call)
    {
        if (result < 0) throw new InvalidOperationException($"{call}: errno {Marshal.GetLastPInvokeError()}");
    }
}
