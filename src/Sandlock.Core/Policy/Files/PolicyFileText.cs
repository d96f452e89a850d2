using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;

namespace Sandlock.Policy.Files;

/// <summary>
/// Reads a policy file's text once, from one open file: it must be a regular file (not a FIFO, a device or a
/// directory, which could block or never end) of at most <see cref="MaxBytes"/>, in UTF-8, as TOML
/// requires. Errors name the file, and the line and column for what is wrong inside it.
/// </summary>
internal static class PolicyFileText
{
    /// <summary>Far above any real policy (a few KiB), far below what would make parsing slow.</summary>
    public const int MaxBytes = 1 << 20;

    private const int O_NOCTTY = 0x100, ENOENT = 2;
    private const uint StatxType = 0x1, StatxSize = 0x200;
    private const int S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFCHR = 0x2000, S_IFBLK = 0x6000, S_IFIFO = 0x1000, S_IFSOCK = 0xC000;

    /// <param name="path">The file as the user named it.</param>
    /// <param name="source">What named it (a flag such as <c>--profile-file</c>), for problems with the name itself.</param>
    public static string Read(string path, string source)
    {
        if (string.IsNullOrEmpty(path)) throw new PolicyException(source, "empty path: expected a policy file");
        if (path.Contains('\0')) throw new PolicyException(source, $"invalid path '{path}': it contains a NUL character");

        // Looked at through O_PATH first, so a device or a FIFO is refused without being opened (opening some has
        // effects); then opened for reading and checked again, since the name may have changed in between.
        using (var look = Open(path, Libc.O_PATH | Libc.O_CLOEXEC))
            CheckRegularAndSmall(look, path);
        // O_NONBLOCK: a FIFO swapped in meanwhile must not make the open wait for a writer.
        using var handle = Open(path, Libc.O_RDONLY | Libc.O_NONBLOCK | Libc.O_CLOEXEC | O_NOCTTY);
        CheckRegularAndSmall(handle, path);
        return Decode(ReadBounded(handle, path), path);
    }

    private static SafeFileHandle Open(string path, int flags)
    {
        var fd = Libc.Open(path, flags);
        if (fd >= 0) return new SafeFileHandle(fd, ownsHandle: true);
        var errno = Libc.LastError;
        throw new PolicyException(path, errno == ENOENT ? "policy file does not exist" : $"cannot open policy file: {Libc.ErrorText(errno)}");
    }

    private static void CheckRegularAndSmall(SafeFileHandle handle, string path)
    {
        Span<byte> statx = stackalloc byte[256];
        if (FileCalls.Statx((int)handle.DangerousGetHandle(), 0, StatxType | StatxSize, statx) != 0)
            throw new PolicyException(path, $"cannot read policy file: {Libc.ErrorText(Libc.LastError)}");
        // struct statx: stx_mode is the u16 at offset 28, stx_size the u64 at offset 40, on every architecture.
        var type = BitConverter.ToUInt16(statx[28..]) & S_IFMT;
        if (type != S_IFREG)
            throw new PolicyException(path, $"not a regular file ({Describe(type)}): expected a policy file");
        var size = BitConverter.ToUInt64(statx[40..]);
        if (size > MaxBytes) throw TooLarge(path);
    }

    // The size checked above can grow before the read, and /proc files say 0: read at most one byte past the limit.
    private static byte[] ReadBounded(SafeFileHandle handle, string path)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(MaxBytes + 1);
        try
        {
            var total = 0;
            while (total <= MaxBytes)
            {
                int read;
                try { read = RandomAccess.Read(handle, buffer.AsSpan(total, MaxBytes + 1 - total), total); }
                catch (IOException e) { throw new PolicyException(path, $"cannot read policy file: {e.Message}"); }
                if (read == 0) break;
                total += read;
            }
            if (total > MaxBytes) throw TooLarge(path);
            return buffer[..total];
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string Decode(byte[] bytes, string path)
    {
        var chars = new char[bytes.Length];
        var status = Utf8.ToUtf16(bytes, chars, out var valid, out var written, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
            throw Error(bytes, valid, path, "invalid UTF-8: a policy file is UTF-8 text");
        // A byte-order mark is allowed by TOML editors, not by the TOML grammar Tomlyn follows.
        var text = new string(chars, 0, written);
        return text.StartsWith('\uFEFF') ? text[1..] : text;
    }

    private static PolicyException Error(byte[] bytes, int offset, string path, string problem)
    {
        var before = bytes.AsSpan(0, offset);
        var line = before.Count((byte)'\n') + 1;
        var lineStart = before.LastIndexOf((byte)'\n') + 1;
        var column = Encoding.UTF8.GetCharCount(before[lineStart..]) + 1;
        return new PolicyException(path, problem, line, column);
    }

    private static PolicyException TooLarge(string path) =>
        new(path, $"policy file is larger than {MaxBytes / 1024} KiB: expected a small text file");

    private static string Describe(int type) => type switch
    {
        S_IFDIR => "a directory",
        S_IFCHR => "a character device",
        S_IFBLK => "a block device",
        S_IFIFO => "a FIFO",
        S_IFSOCK => "a socket",
        _ => "a special file",
    };
}
