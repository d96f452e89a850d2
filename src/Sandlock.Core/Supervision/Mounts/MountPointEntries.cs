using System.Text;
using Sandlock.Interop;
using Sandlock.Policy;
using Sandlock.Supervision.Views;

namespace Sandlock.Supervision.Mounts;

/// <summary>The mount points a directory lists besides its own entries, as a real mount point would be listed.</summary>
internal sealed class MountPointEntries(ChildRoot root)
{
    private const byte DirectoryType = 4;  // DT_DIR

    /// <summary>The mount points directly inside the directory at <paramref name="hostDirectory"/>.</summary>
    public IReadOnlyList<DirectoryEntry> In(string hostDirectory)
    {
        if (root.Inside(hostDirectory) is not { } directory) return [];
        var entries = new List<DirectoryEntry>();
        foreach (var mount in root.Mounts)
        {
            var slash = mount.VirtualPath.LastIndexOf('/');
            var parent = slash == 0 ? "/" : mount.VirtualPath[..slash];
            if (parent != directory) continue;
            var inode = FileIdentity.Of(mount.HostPath)?.Inode ?? 0;
            entries.Add(new DirectoryEntry(inode, DirectoryType, Encoding.UTF8.GetBytes(mount.VirtualPath[(slash + 1)..])));
        }
        return entries;
    }
}
