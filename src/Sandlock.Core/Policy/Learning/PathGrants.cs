namespace Sandlock.Policy.Learning;

/// <summary>A path a learned policy grants, and the uses that put it there.</summary>
internal sealed record PathGrant(string Path, bool Write, IReadOnlyList<ObservedPath> Uses);

/// <summary>A use a learned policy does not grant, and why not.</summary>
internal sealed record PathRefusal(ObservedPath Use, string Why);

/// <summary>
/// Turns the paths a run used into as few grants as let it run again, and no wider than they must be:
/// <list type="bullet">
/// <item>a file read or executed: its nearest existing folder, unless that folder is protected
/// (<see cref="ProtectedFolders"/>): then the file alone;</item>
/// <item>a folder listed: the folder (a listing cannot be granted without its tree), unless it is protected;</item>
/// <item>an existing file written: its nearest existing folder, or the file alone under a protected one;</item>
/// <item>an entry made or removed: the nearest existing folder it changed in, which must not be protected (a shared
/// temporary folder may be, as files made there have random names);</item>
/// <item>a secret-looking path (<see cref="SecretPaths"/>): never; /proc: the folder, which the supervisor serves as
/// a view of the sandbox's own processes; the standard devices: nothing, every policy grants them.</item>
/// </list>
/// A grant inside another of the same kind, or a read inside a write, is dropped for the wider one.
/// </summary>
internal static class PathGrants
{
    public static (IReadOnlyList<PathGrant> Grants, IReadOnlyList<PathRefusal> Refused) From(IEnumerable<ObservedPath> uses, ProtectedFolders protectedFolders)
    {
        ArgumentNullException.ThrowIfNull(uses);
        ArgumentNullException.ThrowIfNull(protectedFolders);
        var wanted = new Dictionary<(string Path, bool Write), List<ObservedPath>>();
        var refused = new List<PathRefusal>();
        foreach (var use in uses.Distinct())
        {
            var (target, why) = Target(use with { Path = Trimmed(use.Path) }, protectedFolders);
            if (target is { } grant)
            {
                if (!wanted.TryGetValue(grant, out var list)) wanted[grant] = list = [];
                list.Add(use);
            }
            else if (why is not null) refused.Add(new PathRefusal(use, why));
        }

        // Each grant inside a wider one gives its uses to the widest, so every line still says why it is there.
        var grants = new Dictionary<(string Path, bool Write), List<ObservedPath>>();
        foreach (var (key, list) in wanted)
        {
            var widest = WidestCover(key, wanted.Keys);
            if (!grants.TryGetValue(widest, out var moved)) grants[widest] = moved = [];
            moved.AddRange(list);
        }
        return ([.. grants.OrderBy(g => g.Key.Path, StringComparer.Ordinal).ThenBy(g => g.Key.Write)
            .Select(g => new PathGrant(g.Key.Path, g.Key.Write, [.. g.Value.Distinct()]))], refused);
    }

    /// <summary>The widest grant that covers <paramref name="grant"/>: a write covers reads and writes below it, a read only reads.</summary>
    private static (string Path, bool Write) WidestCover((string Path, bool Write) grant, IEnumerable<(string Path, bool Write)> all)
    {
        var widest = grant;
        foreach (var other in all)
            if ((other.Write || !grant.Write) && PathTree.IsSameOrUnder(grant.Path, other.Path)
                && (other.Path.Length < widest.Path.Length || (other.Path.Length == widest.Path.Length && other.Write && !widest.Write)))
                widest = other;
        return widest;
    }

    /// <summary>What grants <paramref name="use"/>, or why nothing may (null for both: nothing is needed).</summary>
    private static ((string Path, bool Write)? Grant, string? Why) Target(ObservedPath use, ProtectedFolders protectedFolders)
    {
        var path = use.Path;
        var named = use.Entry is null ? path : $"{path.TrimEnd('/')}/{use.Entry}";
        if (PathTree.IsSameOrUnder(path, "/proc")) return (("/proc", false), null);
        if (StandardDevices.Paths.Contains(named, StringComparer.Ordinal)) return (null, null);
        if (SecretPaths.Why(named) is { } secret) return (null, $"{secret}: never granted by a learned policy");
        switch (use.Use)
        {
            case PathUse.List:
            case PathUse.Read or PathUse.Execute when Directory.Exists(path):
                return protectedFolders.Why(path) is { } whyNot
                    ? (null, $"reading this folder needs it as a whole, and it is {whyNot}")
                    : ((path, false), null);
            case PathUse.Read or PathUse.Execute:
                return FileOrFolder(path, write: false, protectedFolders);
            case PathUse.Modify:
                return FileOrFolder(path, write: true, protectedFolders);
            default:
                if (NearestExisting(path) is not { } folder) return (null, "no folder of it exists any more");
                if (!ProtectedFolders.IsTemporary(folder) && protectedFolders.Why(folder) is { } why)
                    return (null, $"changing {use.Entry ?? "entries"} in {folder} needs write on {folder} as a whole, and it is {why}");
                return ((folder, true), null);
        }
    }

    private static ((string Path, bool Write)? Grant, string? Why) FileOrFolder(string path, bool write, ProtectedFolders protectedFolders)
    {
        var folder = NearestExisting(Path.GetDirectoryName(path) ?? "/") ?? "/";
        if (!protectedFolders.IsProtected(folder)) return ((folder, write), null);
        if (File.Exists(path)) return ((path, write), null);
        return (null, $"it no longer exists and {folder} is {protectedFolders.Why(folder)}");
    }

    private static string? NearestExisting(string path)
    {
        for (var folder = path; !string.IsNullOrEmpty(folder); folder = Path.GetDirectoryName(folder))
            if (Directory.Exists(folder)) return folder;
        return null;
    }

    private static string Trimmed(string path) => path.Length > 1 ? path.TrimEnd('/') : path;
}
