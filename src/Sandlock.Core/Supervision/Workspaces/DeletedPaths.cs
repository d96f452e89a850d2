using System.Text;

namespace Sandlock.Supervision.Workspaces;

/// <summary>
/// The paths below the workdir the run deleted (whiteouts): what lies at or under one in the workdir is hidden, though
/// the upper folder may hold a new file of that name. Kept on disk as well, for a commit after a crash and for keep.
/// </summary>
internal sealed class DeletedPaths
{
    private readonly HashSet<string> _paths = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly string _file;

    public DeletedPaths(string file)
    {
        _file = file;
        foreach (var path in Load(file)) _paths.Add(path);
    }

    public static IReadOnlyList<string> Load(string file) =>
        File.Exists(file) ? File.ReadAllText(file, Encoding.UTF8).Split('\0', StringSplitOptions.RemoveEmptyEntries) : [];

    /// <summary>Whether the workdir's <paramref name="rest"/> is hidden: it, or a folder it lies in, was deleted.</summary>
    public bool Hides(string rest)
    {
        lock (_gate)
        {
            if (_paths.Count == 0) return false;
            for (var at = rest; at.Length > 0; at = Parent(at))
                if (_paths.Contains(at)) return true;
            return false;
        }
    }

    public void Add(string rest)
    {
        lock (_gate)
        {
            if (!_paths.Add(rest)) return;
            File.AppendAllText(_file, rest + "\0", Encoding.UTF8);
        }
    }

    private static string Parent(string rest) => rest.LastIndexOf('/') is var slash and >= 0 ? rest[..slash] : "";
}
