using System.Globalization;

namespace Sandlock.Supervision.Network;

/// <summary>
/// Whether an abstract unix socket name is bound by the sandbox itself, which Landlock's abstract-socket scope asks of
/// the sandbox's own connects and sends; a connect made on its behalf by the supervisor (under no Landlock domain)
/// must ask it here. Every socket bound to the name (as /proc/net/unix prints it) must be held by a process of the
/// sandbox, so a name that prints alike (a NUL shows as '@') cannot stand in for a host's.
/// </summary>
internal static class AbstractSocketOwners
{
    public static bool BoundInSandbox(IEnumerable<int> members, ReadOnlySpan<byte> name)
    {
        var printed = "@" + System.Text.Encoding.UTF8.GetString(name).Replace('\0', '@');
        var inodes = BoundTo(printed);
        if (inodes is null || inodes.Count == 0) return false;
        foreach (var pid in members)
        {
            foreach (var inode in SocketsOf(pid)) inodes.Remove(inode);
            if (inodes.Count == 0) return true;
        }
        return false;
    }

    /// <summary>The inodes of the sockets /proc/net/unix lists under <paramref name="printed"/>; null when it cannot be read.</summary>
    private static HashSet<ulong>? BoundTo(string printed)
    {
        var inodes = new HashSet<ulong>();
        try
        {
            // "Num: RefCount Protocol Flags Type St Inode Path", the path after the seventh field's single space.
            foreach (var line in File.ReadLines("/proc/net/unix").Skip(1))
            {
                var fields = line.Split(' ', 8, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length == 8 && fields[7] == printed && ulong.TryParse(fields[6], CultureInfo.InvariantCulture, out var inode))
                    inodes.Add(inode);
            }
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        return inodes;
    }

    private static IEnumerable<ulong> SocketsOf(int pid)
    {
        string[] fds;
        try { fds = Directory.GetFileSystemEntries($"/proc/{pid}/fd"); }
        catch (IOException) { yield break; }
        catch (UnauthorizedAccessException) { yield break; }
        foreach (var fd in fds)
        {
            string? target;
            try { target = new FileInfo(fd).LinkTarget; }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) && target.EndsWith(']')
                && ulong.TryParse(target.AsSpan(8, target.Length - 9), CultureInfo.InvariantCulture, out var inode))
                yield return inode;
        }
    }
}
