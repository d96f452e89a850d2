using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;

namespace Sandlock.Supervision;

/// <summary>
/// Names the function an address of a process is, or the one a GOT slot there is bound to, from the symbols and
/// relocations of the program or library file mapped there (read once per file and sandbox, parsed once per file
/// version in this process).
/// </summary>
internal sealed class LibraryFunctions
{
    private readonly ConcurrentDictionary<(string Path, ulong Inode), ElfImage?> _images = new();

    // Every sandbox of a test host maps the same libc and runtime: each parsed their symbols again (~0.4 ms a child).
    // By the version of the file opened (checked as before), so a file changed since is parsed anew.
    private static readonly ConcurrentDictionary<(ulong Device, ulong Inode, long Size, long ChangedSeconds, long ChangedNanoseconds), ElfImage> Parsed = new();
    private const int MaxParsed = 64;

    /// <summary>
    /// What <paramref name="pid"/> has mapped, read once for the questions of one held call (a .NET process maps some
    /// hundreds of regions: each read of its maps cost ~0.2 ms, and a call asked up to three questions).
    /// </summary>
    public ProcessCode Of(int pid) => new(this, pid);

    // How far below a code mapping's start minus its file offset the file's first mapping may lie, and how many other
    // files' mappings may lie between (beyond either, the whole list is read).
    private const ulong SegmentSlack = 1 << 20;
    private const int MaxSteps = 8;

    /// <summary>The code of one process, as mapped when first asked.</summary>
    public sealed class ProcessCode(LibraryFunctions functions, int pid)
    {
        private List<MemoryMapping>? _mappings;
        private bool _read;

        /// <summary>
        /// Whether <paramref name="address"/> is the start of one of <paramref name="names"/>, or, for a
        /// <paramref name="slot"/>, a GOT slot the dynamic linker binds to one of them.
        /// </summary>
        public bool IsOneOf(ulong address, bool slot, IReadOnlyCollection<string> names) =>
            Locate(address) is var (image, offset)
            && (slot
                ? image.TryGetSlotSymbol(offset, out var bound) && names.Contains(bound)
                : names.Any(name => image.TryGetFunction(name, out var at, out _) && at == offset));

        /// <summary>Whether <paramref name="address"/> lies in the code of function <paramref name="name"/>.</summary>
        public bool IsInside(ulong address, string name) =>
            Locate(address) is var (image, offset) && image.TryGetFunction(name, out var at, out var size) && offset >= at && offset < at + size;

        /// <summary>The file mapped at <paramref name="address"/> and where in it the address is, counted as its symbols count.</summary>
        private (ElfImage Image, long Offset)? Locate(ulong address)
        {
            if (MappingQuery.Supported && !_read && Queried(address) is { Answered: true } queried) return queried.Found;
            if (!_read)
            {
                _read = true;
                try { _mappings = [.. MemoryMapping.Read(pid)]; }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
            if (_mappings is not { } mappings) return null;
            if (mappings.FirstOrDefault(m => m.Contains(address)) is not { IsFileBacked: true } code) return null;
            // Symbol values count from where the file's offset 0 is mapped.
            if (mappings.FirstOrDefault(m => m.Inode == code.Inode && m.Path == code.Path && m.FileOffset == 0) is not { } first) return null;
            return functions._images.GetOrAdd((code.Path, code.Inode), Load) is { } image ? (image, (long)(address - first.Start)) : null;
        }

        /// <summary>
        /// <see cref="Locate"/> by a few questions to the kernel instead of reading every mapping: the one covering the
        /// address, then the file's mappings from a little below where its offset 0 would lie if its segments kept
        /// their file offsets (a linker may place one a page or more higher), up to the first of them, at offset 0. Not
        /// answered when that takes the whole list (or the kernel cannot be asked).
        /// </summary>
        private (bool Answered, (ElfImage Image, long Offset)? Found) Queried(ulong address)
        {
            var maps = Libc.Open($"/proc/{pid}/maps", Libc.O_RDONLY | Libc.O_CLOEXEC);
            if (maps < 0) return default;
            try
            {
                if (MappingQuery.FileMappingAt(maps, address) is not { } code)
                    return (MappingQuery.Supported && Marshal.GetLastPInvokeError() == Errno.ENOENT, null);
                if (!code.Path.StartsWith('/')) return (true, null);
                if (code.Offset > code.Start) return default;
                var from = code.Start - code.Offset;
                from = from > SegmentSlack ? from - SegmentSlack : 0;
                for (var step = 0; step < MaxSteps && from <= code.Start; step++)
                {
                    if (MappingQuery.FileMappingAt(maps, from, orNext: true) is not { } next) return default;
                    if (next.Inode == code.Inode && next.Path == code.Path)
                    {
                        if (next.Offset != 0) return default;
                        return (true, functions._images.GetOrAdd((code.Path, code.Inode), Load) is { } image ? (image, (long)(address - next.Start)) : null);
                    }
                    from = next.End;
                }
                return default;
            }
            finally { Libc.Close(maps); }
        }
    }

    private static ElfImage? Load((string Path, ulong Inode) file)
    {
        // A file parsed before and unchanged since (every child of a test host maps the same libraries) is known by its
        // version alone: nothing of it is read again.
        if (FileIdentity.VersionOf(file.Path) is { } seen && seen.Inode == file.Inode && Parsed.TryGetValue(seen, out var known)) return known;
        // Without following symlinks, and only if it is still the file mapped: the sandbox may have put another file
        // at the path since, which this supervisor (perhaps root) must not read for it.
        var fd = ResolvingOpen.OpenAt2(FileCalls.AtFdCwd, file.Path, Libc.O_RDONLY | Libc.O_CLOEXEC, ResolvingOpen.ResolveNoSymlinks);
        if (fd < 0) return null;
        using var handle = new SafeFileHandle(fd, ownsHandle: true);
        if (FileIdentity.VersionOf(fd) is not { } version || version.Inode != file.Inode) return null;
        if (Parsed.TryGetValue(version, out var parsed)) return parsed;
        if (Parse(handle, file.Path) is not { } image) return null;
        if (Parsed.Count >= MaxParsed) Parsed.Clear();
        return Parsed.GetOrAdd(version, image);
    }

    private static ElfImage? Parse(SafeFileHandle handle, string path)
    {
        try
        {
            return ElfImage.Parse(RandomAccess.GetLength(handle), (offset, into) =>
            {
                // The file may shrink while it is read: a short read is an image that no longer fits.
                for (var done = 0; done < into.Length;)
                {
                    var read = RandomAccess.Read(handle, into[done..], offset + done);
                    if (read == 0) throw new FormatException($"{path} ended while it was read");
                    done += read;
                }
            }, path);
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
            return null;
        }
    }
}
