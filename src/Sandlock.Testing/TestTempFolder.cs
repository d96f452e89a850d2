using Sandlock.Testing.Policy;

namespace Sandlock.Testing;

/// <summary>
/// A test's fresh temp folder: its TMPDIR, and where the request and result files pass between the test run and the
/// child. Under a chroot it is made in the chroot's /tmp, the only place both sides see.
/// </summary>
internal sealed record TestTempFolder(string HostPath, string ChildPath)
{
    private const string Prefix = "sandlock-test-";

    /// <summary>The folder, or null when the chroot has no /tmp this process may write to.</summary>
    public static TestTempFolder? Create(TestRoot root)
    {
        if (root.Chroot is null)
        {
            var path = Directory.CreateTempSubdirectory(Prefix).FullName;
            return new TestTempFolder(path, path);
        }
        var chrootTemp = root.HostPathOf("/tmp");
        if (!Directory.Exists(chrootTemp)) return null;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var name = Prefix + Path.GetRandomFileName().Replace(".", "", StringComparison.Ordinal);
            var hostPath = Path.Combine(chrootTemp, name);
            if (Path.Exists(hostPath)) continue;
            try
            {
                Directory.CreateDirectory(hostPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                return new TestTempFolder(hostPath, "/tmp/" + name);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return null;
            }
        }
        return null;
    }

    public void Delete()
    {
        try { Directory.Delete(HostPath, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
