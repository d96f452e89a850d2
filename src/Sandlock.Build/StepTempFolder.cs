namespace Sandlock.Build;

/// <summary>
/// The step's own fresh temp folder (TMPDIR), deleted after the step. Under a chroot the host's temp folder is out of
/// the step's sight unless it lies inside the chroot, so the folder is made in the chroot's own /tmp instead; a chroot
/// without a /tmp the build may write to gives the step no temp folder.
/// </summary>
internal sealed class StepTempFolder
{
    private const string Prefix = "sandlock-step-";

    private StepTempFolder(string? hostPath) => HostPath = hostPath;

    /// <summary>The folder on the host, or null when the chroot has no writable /tmp.</summary>
    public string? HostPath { get; }

    public static StepTempFolder Create(StepRoot root)
    {
        if (root.Inside(Path.GetTempPath().TrimEnd('/')) is not null)
            return new StepTempFolder(Directory.CreateTempSubdirectory(Prefix).FullName);
        var chrootTemp = root.HostPathOf("/tmp");
        if (!Directory.Exists(chrootTemp)) return new StepTempFolder(null);
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var path = Path.Combine(chrootTemp, Prefix + Path.GetRandomFileName().Replace(".", "", StringComparison.Ordinal));
            if (Path.Exists(path)) continue;
            try
            {
                Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                return new StepTempFolder(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return new StepTempFolder(null);
            }
        }
        return new StepTempFolder(null);
    }

    /// <summary>Deletes the folder; returns why it could not, or null.</summary>
    public string? TryDelete()
    {
        if (HostPath is null) return null;
        try
        {
            Directory.Delete(HostPath, recursive: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }
}
