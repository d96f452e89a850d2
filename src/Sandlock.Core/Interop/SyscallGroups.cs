namespace Sandlock.Interop;

/// <summary>Named groups of syscalls that are denied by default and can be re-allowed with <c>--extra-allow-syscall</c>.</summary>
internal static class SyscallGroups
{
    private static readonly Dictionary<string, string[]> Groups = new(StringComparer.Ordinal)
    {
        ["sysv_ipc"] = ["shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl", "msgget", "msgsnd", "msgrcv", "msgctl"],
    };

    public static IEnumerable<string> Names => Groups.Keys;

    public static bool IsKnown(string group) => Groups.ContainsKey(group);

    public static IReadOnlyList<string> Members(string group) => Groups[group];
}
