namespace Sandlock.Supervision.Views;

/// <summary>
/// The directory a sandbox gets when it opens /proc: the same names as the real /proc, except that the only
/// process ids are the sandbox's own. Entries are empty stand-ins; opens through them are mapped back to /proc and
/// served by <see cref="ProcView"/>. Lives in a private temp folder removed when the sandbox ends (or, when its owner
/// was killed, by a later sweep: <see cref="Interop.TempFolderOwnership"/>).
/// </summary>
internal sealed class ProcListing : IDisposable
{
    private readonly object _gate = new();
    private readonly HashSet<int> _listed = [];
    private string? _root;
    private Interop.TempFolderOwnership? _ownership;
    private bool _disposed;

    /// <summary>The stand-in folder, or null before the first listing.</summary>
    public string? Root => _root;

    /// <summary>Brings the process entries up to date and returns the folder.</summary>
    public string Refresh(IEnumerable<int> sandboxMembers)
    {
        lock (_gate)
        {
            // A listing made after the sandbox ended would be a folder nobody removes.
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_root is null)
            {
                _root = Create();
                _ownership = Interop.TempFolderOwnership.Claim(_root);
            }
            var members = sandboxMembers.ToHashSet();
            foreach (var gone in _listed.Except(members).ToList())
            {
                Directory.Delete(Path.Combine(_root, gone.ToString()));
                _listed.Remove(gone);
            }
            foreach (var added in members.Except(_listed).ToList())
            {
                Directory.CreateDirectory(Path.Combine(_root, added.ToString()));
                _listed.Add(added);
            }
            return _root;
        }
    }

    private static string Create()
    {
        var root = Directory.CreateTempSubdirectory("sandlock-proc-").FullName;
        File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var entry in new DirectoryInfo("/proc").EnumerateFileSystemInfos())
        {
            if (int.TryParse(entry.Name, out _)) continue;
            var standIn = Path.Combine(root, entry.Name);
            try
            {
                // /proc/self names the supervisor here; the stand-in names whoever follows it.
                if (entry.Name is "self" or "thread-self") File.CreateSymbolicLink(standIn, "/proc/" + entry.Name);
                else if (entry.LinkTarget is { } target) File.CreateSymbolicLink(standIn, target);
                else if (entry is DirectoryInfo) Directory.CreateDirectory(standIn);
                else File.WriteAllBytes(standIn, []);
            }
            catch (IOException) { /* an entry that vanished while listed */ }
        }
        return root;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            if (_root is null) return;
            try { Directory.Delete(_root, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            _root = null;
            _ownership?.Dispose();
        }
    }
}
