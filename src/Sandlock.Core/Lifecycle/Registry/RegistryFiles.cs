namespace Sandlock.Lifecycle.Registry;

/// <summary>
/// An owner's entry in the <see cref="RuntimeFolder"/>: TOKEN.lock, flock-held by the owner for as long as it lives,
/// and TOKEN.sock, where it answers. Each is made under a .part name and renamed when ready, so a reader never
/// takes a half-made entry for a dead one.
/// </summary>
internal sealed record RegistryFiles(string Folder, string Token)
{
    public const string LockSuffix = ".lock", SocketSuffix = ".sock", PartSuffix = ".part";

    public string Lock => Path.Combine(Folder, Token + LockSuffix);
    public string Socket => Path.Combine(Folder, Token + SocketSuffix);

    /// <summary>Whether the process named by the token (PID-RANDOM) still runs; true when the token names none.</summary>
    public bool OwnerAlive =>
        !int.TryParse(Token.AsSpan(0, Math.Max(0, Token.IndexOf('-'))), out var pid) || pid <= 0
        || Interop.Libc.Kill(pid, 0) == 0 || Interop.Libc.LastError != 3 /* ESRCH */;

    /// <summary>The entry a lock file (ready or .part) belongs to; null for any other file.</summary>
    public static RegistryFiles? OfLockFile(string path)
    {
        var name = Path.GetFileName(path);
        if (name.EndsWith(PartSuffix, StringComparison.Ordinal)) name = name[..^PartSuffix.Length];
        return name.EndsWith(LockSuffix, StringComparison.Ordinal) && name.Length > LockSuffix.Length
            ? new RegistryFiles(Path.GetDirectoryName(path)!, name[..^LockSuffix.Length])
            : null;
    }

    /// <summary>Removes every file of the entry; what is already gone is fine.</summary>
    public void Remove()
    {
        foreach (var path in new[] { Socket + PartSuffix, Socket, Lock + PartSuffix, Lock })
        {
            try { File.Delete(path); }
            catch (IOException) { /* another reader removed it first */ }
            catch (UnauthorizedAccessException) { /* not ours to remove: it stays, and stays unlisted */ }
        }
    }
}
