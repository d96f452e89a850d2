using Sandlock.Interop;

namespace Sandlock.Supervision.Mounts;

/// <summary>
/// An execve path the supervisor rewrites is gone with the caller's memory once the exec succeeds, unless the caller
/// shares that memory with its parent (a vfork or posix_spawn child). Then a buffer of the moment (what .NET, Python,
/// Go and libuv pass) is harmless to rewrite, but a string in the program's own file (a literal, never freed) would
/// name another fd the next time the parent spawns it, and cannot be put back before the parent resumes.
/// </summary>
internal static class SharedLiteral
{
    public static bool Is(int caller, ulong address)
    {
        // The sandbox's first process shares the supervisor's memory until its exec: that path is the supervisor's own.
        if (ProcessStatus.Read(caller)?.Parent is not { } parent || parent == Environment.ProcessId) return false;
        return ProcessMemory.ShareMemory(caller, parent) && IsFileBacked(parent, address);
    }

    /// <summary>Whether <paramref name="address"/> lies in memory mapped from a file (a program's or library's data).</summary>
    private static bool IsFileBacked(int pid, ulong address)
    {
        try { return MemoryMapping.Read(pid).FirstOrDefault(m => m.Contains(address)) is { IsFileBacked: true }; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }
}
