using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>
/// PROCMAP_QUERY (Linux 6.11): the one mapping of a process that covers an address, asked of its /proc/PID/maps,
/// where reading the file has the kernel write out every mapping (a .NET process has some hundreds).
/// </summary>
internal static unsafe partial class MappingQuery
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Query
    {
        public ulong Size, QueryFlags, QueryAddress, VmaStart, VmaEnd, VmaFlags, VmaPageSize, VmaOffset, Inode;
        public uint DeviceMajor, DeviceMinor, VmaNameSize, BuildIdSize;
        public ulong VmaNameAddress, BuildIdAddress;
    }

    // _IOWR('f', 17, struct procmap_query)
    private static readonly ulong Request = 0xC000_0000UL | ((ulong)sizeof(Query) << 16) | ('f' << 8) | 17;
    private const ulong CoveringOrNext = 0x10, FileBackedOnly = 0x20;
    private const int PathMax = 4096;

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(int fd, ulong request, Query* query);

    private static volatile bool _unsupported;

    /// <summary>Whether this kernel answers the query (false once it has refused one as unknown).</summary>
    public static bool Supported => !_unsupported;

    /// <summary>
    /// The file-backed mapping covering <paramref name="address"/> (or, <paramref name="orNext"/>, the first one
    /// above it) in the process whose maps file is <paramref name="mapsFd"/>: its range, the file offset at its start,
    /// the file's inode and path. Null when there is none, or when the kernel cannot answer (then
    /// <see cref="Supported"/> turns false).
    /// </summary>
    public static (ulong Start, ulong End, ulong Offset, ulong Inode, string Path)? FileMappingAt(int mapsFd, ulong address, bool orNext = false)
    {
        var name = stackalloc byte[PathMax];
        var query = new Query
        {
            Size = (ulong)sizeof(Query),
            QueryFlags = FileBackedOnly | (orNext ? CoveringOrNext : 0),
            QueryAddress = address,
            VmaNameSize = PathMax,
            VmaNameAddress = (ulong)name,
        };
        if (Ioctl(mapsFd, Request, &query) != 0)
        {
            // ENOTTY/EINVAL: a kernel before 6.11. ENOENT: nothing file-backed there.
            if (Marshal.GetLastPInvokeError() is Errno.ENOTTY or Errno.EINVAL) _unsupported = true;
            return null;
        }
        var path = query.VmaNameSize > 0 ? System.Text.Encoding.UTF8.GetString(name, (int)query.VmaNameSize - 1) : "";
        return (query.VmaStart, query.VmaEnd, query.VmaOffset, query.Inode, path);
    }
}
