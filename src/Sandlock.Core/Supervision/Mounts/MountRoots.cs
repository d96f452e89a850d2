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

    public MountRoots(IEnumerable<FsMount> mounts)
    {
        foreach (var mount in mounts)
        {
            var fd = Libc.Open(mount.HostPath, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
            // A folder gone since the policy was built: every path under it fails with this open's error.
            _fds[mount] = fd < 0 ? -Libc.LastError : fd;
        }
    }

    /// <summary>
    /// Opens <paramref name="rest"/> beneath the mount's folder with the caller's flags (plus close-on-exec for our
    /// copy) and returns the fd, or -errno.
    /// </summary>
    public int Open(FsMount mount, string rest, ulong flags, ulong mode = 0, ulong resolve = 0)
    {
        var root = _fds[mount];
        if (root < 0) return root;
        var fd = ResolvingOpen.OpenAt2(root, rest.Length == 0 ? "." : rest, flags | (ulong)Libc.O_CLOEXEC, resolve | ResolvingOpen.ResolveInRoot, mode);
        return fd >= 0 ? fd : -Libc.LastError;
    }

    /// <summary>The folder <paramref name="rest"/> lies in, opened as a path, and its last component; or -errno.</summary>
    public (int Fd, string Name) OpenParent(FsMount mount, string rest)
    {
        // "a/b/" names b (as a directory) in a.
        var slash = rest.TrimEnd('/').LastIndexOf('/');
        var fd = Open(mount, slash < 0 ? "" : rest[..slash], (ulong)(Libc.O_PATH | Libc.O_DIRECTORY));
        return (fd, rest[(slash + 1)..]);
    }

    public void Dispose()
    {
        foreach (var fd in _fds.Values)
            if (fd >= 0) Libc.Close(fd);
        _fds.Clear();
    }
}
