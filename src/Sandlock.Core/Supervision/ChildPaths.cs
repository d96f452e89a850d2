namespace Sandlock.Supervision;

/// <summary>Paths as a held caller names them, made absolute the way the kernel would resolve them for it.</summary>
internal static class ChildPaths
{
    /// <summary>
    /// An absolute path as given; a relative one resolved against the caller's working directory (AT_FDCWD) or the
    /// directory fd it passed, seen from the caller's root. Null when that base cannot be read.
    /// </summary>
    public static string? Absolute(int pid, int directoryFd, string path)
    {
        if (path.StartsWith('/')) return path;
        return HostDirectory(pid, directoryFd) is { } directory ? Path.GetFullPath(path, InsideRoot(pid, directory)) : null;
    }

    /// <summary>
    /// The host path of the directory a relative path of the caller starts from: its working directory (AT_FDCWD) or
    /// the directory fd it passed. Null when that cannot be read or is no path (a socket, a pipe).
    /// </summary>
    public static string? HostDirectory(int pid, int directoryFd)
    {
        var link = directoryFd == HeldOpen.AtFdCwd ? $"/proc/{pid}/cwd" : $"/proc/{pid}/fd/{directoryFd}";
        try { return new FileInfo(link).LinkTarget is { } target && target.StartsWith('/') ? target : null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// A chrooted child names absolute paths inside its root, while its cwd and fd links read from here are host
    /// paths: seen from its root, as its absolute paths are, both compare alike.
    /// </summary>
    private static string InsideRoot(int pid, string hostDirectory)
    {
        var root = new FileInfo($"/proc/{pid}/root").LinkTarget ?? "/";
        return Policy.ChrootPaths.FromHost(root, hostDirectory) ?? hostDirectory;
    }
}
