using System.Collections.Concurrent;
using System.IO.Enumeration;
using Sandlock.Interop;

namespace Sandlock.Confinement.Landlock;

/// <summary>
/// One entry of a folder a rule plan carves: its path, whether it is a symlink, and whether it is a folder. A class: the
/// framework's enumeration and array code over a struct of ours is JIT-compiled in every process (ReadyToRun images
/// cannot hold it), over a class it is shared code that is precompiled.
/// </summary>
internal sealed record FolderEntry(string Path, bool IsLink, bool IsDirectory);

/// <summary>
/// The entries of the folders that rule plans carve (/etc around a denied secret, a home folder), remembered while
/// each folder is unchanged: a test host plans a policy for every test's child, and each plan listed the same folders
/// and looked at every entry again. A folder's st_ctim changes with every entry added, removed or renamed in it (and
/// replacing an entry by a folder or a symlink is one of those), so a remembered listing whose folder still has the
/// same device, inode and st_ctim is what a new listing would find.
/// </summary>
internal static class FolderEntries
{
    private const int MaxRemembered = 256;

    private sealed record Listing((ulong, ulong, long, long, long) Version, FolderEntry[] Entries);

    private static readonly ConcurrentDictionary<string, Listing> Remembered = new(StringComparer.Ordinal);

    /// <summary>The entries of <paramref name="folder"/>; null when it is not there.</summary>
    public static FolderEntry[]? Of(string folder)
    {
        if (FileIdentity.VersionOf(folder) is not { } before) return null;
        if (Remembered.TryGetValue(folder, out var known) && known.Version == before) return known.Entries;
        FolderEntry[] entries;
        try
        {
            entries = [.. new FileSystemEnumerable<FolderEntry>(folder,
                (ref FileSystemEntry e) => new FolderEntry(e.ToFullPath(), (e.Attributes & FileAttributes.ReparsePoint) != 0, e.IsDirectory),
                new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = false })];
        }
        catch (DirectoryNotFoundException)
        {
            return null;
        }
        // A change while it was listed: the listing is used once, not remembered.
        if (FileIdentity.VersionOf(folder) != before) return entries;
        if (Remembered.Count >= MaxRemembered) Remembered.Clear();
        Remembered[folder] = new Listing(before, entries);
        return entries;
    }
}
