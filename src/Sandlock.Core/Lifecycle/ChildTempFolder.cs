using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Lifecycle;

/// <summary>
/// A fresh temp folder that both the caller and a sandboxed command see (its TMPDIR, or where files pass between
/// them): in the host's temp folder, or under a chroot that does not hold it, in the chroot's own /tmp. Marked as in
/// use (<see cref="TempFolderOwnership"/>) until it is deleted, so that one left by a killed owner is swept later.
/// </summary>
internal sealed record ChildTempFolder(string HostPath, string ChildPath)
{
    private TempFolderOwnership? Ownership { get; init; }

    /// <summary>The folder, or null when the chroot has no /tmp this process may write to.</summary>
    public static ChildTempFolder? Create(ChildRoot root, string prefix)
    {
        if (root.Inside(Path.GetTempPath().TrimEnd('/')) is not null)
        {
            var path = Directory.CreateTempSubdirectory(prefix).FullName;
            return new ChildTempFolder(path, root.Inside(path)!) { Ownership = TempFolderOwnership.Claim(path) };
        }
        var chrootTemp = root.HostPathOf("/tmp");
        if (!Directory.Exists(chrootTemp)) return null;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var name = prefix + Path.GetRandomFileName().Replace(".", "", StringComparison.Ordinal);
            var hostPath = Path.Combine(chrootTemp, name);
            if (Path.Exists(hostPath)) continue;
            try
            {
                Directory.CreateDirectory(hostPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                return new ChildTempFolder(hostPath, "/tmp/" + name) { Ownership = TempFolderOwnership.Claim(hostPath) };
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
        return null;
    }

    /// <summary>Deletes the folder with what is in it, and its owner mark; returns why it could not, or null (the folder is then swept later).</summary>
    public string? TryDelete()
    {
        try
        {
            // A test most often leaves its folder empty (a shared child's every test has one): one rmdir, without
            // the listing a recursive delete starts with.
            try { Directory.Delete(HostPath, recursive: false); }
            catch (IOException e) when (e is not DirectoryNotFoundException) { Directory.Delete(HostPath, recursive: true); }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
        finally
        {
            Ownership?.Dispose();
        }
    }
}
