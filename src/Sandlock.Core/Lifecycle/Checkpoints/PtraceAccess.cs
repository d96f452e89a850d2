using Sandlock.Interop;

namespace Sandlock.Lifecycle.Checkpoints;

/// <summary>Whether this process may ptrace its own sandboxes, and a clear refusal naming what blocks it.</summary>
internal static class PtraceAccess
{
    private const string YamaScope = "/proc/sys/kernel/yama/ptrace_scope";
    private const int CapSysPtrace = 19;

    /// <summary>Refuses up front what Yama refuses; scopes 0 and 1 let a process trace its descendants.</summary>
    public static void Require()
    {
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
            throw new SandboxCheckpointException(
                $"checkpoint and restore support x86_64 only; this process runs on {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}");
        switch (Scope())
        {
            case 3:
                throw new SandboxCheckpointException($"{YamaScope} is 3: the kernel refuses every ptrace, which checkpoint and restore need");
            case 2 when !HasCapability(CapSysPtrace):
                throw new SandboxCheckpointException($"{YamaScope} is 2: ptrace needs CAP_SYS_PTRACE, which this process lacks");
        }
    }

    /// <summary>Explains an errno of PTRACE_SEIZE.</summary>
    public static SandboxCheckpointException SeizeRefused(int pid, int error, string what)
    {
        var tracer = TracerOf(pid);
        return new($"cannot {what}: ptrace of pid {pid} refused ({Libc.ErrorText(error)})" + (error, tracer) switch
        {
            (_, > 0) => $"; it is already traced by pid {tracer} (another checkpoint or a debugger)",
            (1, _) => $"; {YamaScope} is {Scope()?.ToString() ?? "absent (no Yama)"}, and the process must be dumpable and owned by this user",
            _ => "",
        });
    }

    private static int TracerOf(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("TracerPid:", StringComparison.Ordinal));
            return line is null ? 0 : int.Parse(line[10..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static int? Scope() =>
        File.Exists(YamaScope) && int.TryParse(File.ReadAllText(YamaScope).Trim(), out var scope) ? scope : null;

    private static bool HasCapability(int capability)
    {
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        return line is not null && (Convert.ToUInt64(line[7..].Trim(), 16) & (1UL << capability)) != 0;
    }
}
