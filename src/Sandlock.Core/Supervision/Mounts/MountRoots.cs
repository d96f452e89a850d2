using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Supervision.Mounts;

/// <summary>
/// The host folder of each mount, held open for one sandbox: every file the supervisor opens for the sandbox is
/// opened beneath one of these, resolving inside it, so no symlink or ".." in the folder leads out of it.
/// </summary>
internal sealed class MountRoots : IDisposable
{
    private readonly Dictionary<FsMount, int> _fds = [];
    private readonly IReadOnlyList<(string Host, string Rule)> _denied;

    /// <param name="mounts">The mounts, each opened once here.</param>
    /// <param name="denied">Denied paths as host paths (canonical) with the rule that names them.</param>
    public MountRoots(IEnumerable<FsMount> mounts, IReadOnlyList<(string Host, string Rule)> denied)
    {
        _denied = denied;
        foreach (var mount in mounts)
        {
            var fd = Libc.Open(mount.HostPath, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
            // A folder gone since the policy was built: every path under it fails with this open's error.
            _fds[mount] = fd < 0 ? -Libc.LastError : fd;
        }
    }

    /// <summary>
    /// Opens <paramref name="rest"/> beneath the mount's folder with the caller's flags (plus close-on-exec for our
    /// copy) and returns the fd, or -errno. The file opened is checked where it really is, after every symlink:
    /// one under a denied path is closed again and refused with EACCES, naming the rule in <paramref name="deniedBy"/>.
    /// </summary>
    public int Open(FsMount mount, string rest, ulong flags, out string? deniedBy, ulong mode = 0, ulong resolve = 0)
    {
        deniedBy = null;
        var root = _fds[mount];
        if (root < 0) return root;
        var fd = ResolvingOpen.OpenAt2(root, rest.Length == 0 ? "." : rest, flags | (ulong)Libc.O_CLOEXEC, resolve | ResolvingOpen.ResolveInRoot, mode);
        if (fd < 0) return -Libc.LastError;
        if (_denied.Count == 0 || DeniedRule(fd) is not { } rule) return fd;
        Libc.Close(fd);
        deniedBy = rule;
        return -Errno.EACCES;
    }

    /// <summary>The folder <paramref name="rest"/> lies in, opened as a path, and its last component; or -errno.</summary>
    public (int Fd, string Name) OpenParent(FsMount mount, string rest, out string? deniedBy)
    {
        // "a/b/" names b (as a directory) in a.
        var slash = rest.TrimEnd('/').LastIndexOf('/');
        var name = rest[(slash + 1)..];
        var fd = Open(mount, slash < 0 ? "" : rest[..slash], (ulong)(Libc.O_PATH | Libc.O_DIRECTORY), out deniedBy);
        if (fd < 0 || _denied.Count == 0 || deniedBy is not null) return (fd, name);
        // The entry itself may be a denied path in an allowed folder.
        if (new FileInfo($"/proc/self/fd/{fd}").LinkTarget is { } folder && Denied(folder.TrimEnd('/') + "/" + name.TrimEnd('/')) is { } rule)
        {
            Libc.Close(fd);
            deniedBy = rule;
            return (-Errno.EACCES, name);
        }
        return (fd, name);
    }

    private string? DeniedRule(int fd) => new FileInfo($"/proc/self/fd/{fd}").LinkTarget is { } host ? Denied(host) : null;

    private string? Denied(string host) =>
        _denied.FirstOrDefault(d => Policy.PathTree.IsSameOrUnder(host, d.Host)).Rule;

    public void Dispose()
    {
        foreach (var fd in _fds.Values)
            if (fd >= 0) Libc.Close(fd);
        _fds.Clear();
    }
}
