namespace Sandlock.Supervision.Workspaces;

/// <summary>
/// max_disk: how much the upper folder may hold. Growth is charged before it happens (a copy-up, a write that
/// extends a file); the running total may overestimate (a write that wrote less, a file deleted since), so a charge
/// that would pass the limit measures the folder first and refuses only when it really would.
/// </summary>
internal sealed class DiskQuota(string upper, long limit, string overflowMark)
{
    private readonly Lock _gate = new();
    private long _charged = -1;

    public long Limit => limit;

    public bool TryCharge(long bytes)
    {
        if (bytes <= 0) return true;
        lock (_gate)
        {
            if (_charged < 0) _charged = Measure(upper);
            if (_charged + bytes <= limit || (_charged = Measure(upper)) + bytes <= limit)
            {
                _charged += bytes;
                return true;
            }
        }
        // The run's changes are incomplete now: they are never committed (see WorkspaceLayout.Overflowed).
        File.WriteAllText(overflowMark, $"a write of {bytes} bytes went past max_disk {limit}\n");
        return false;
    }

    /// <summary>The bytes of the regular files under <paramref name="upper"/>, each file's once.</summary>
    public static long Measure(string upper)
    {
        var seen = new HashSet<(ulong, ulong)>();
        long total = 0;
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true };
        foreach (var file in new DirectoryInfo(upper).EnumerateFiles("*", options))
        {
            if (file.LinkTarget is not null) continue;
            // A file's hard links hold its bytes once.
            if (Interop.FileIdentity.Of(file.FullName) is { } id && !seen.Add(id)) continue;
            total += file.Length;
        }
        return total;
    }
}
