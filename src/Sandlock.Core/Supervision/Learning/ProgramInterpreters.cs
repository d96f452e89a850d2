using System.Buffers.Binary;

namespace Sandlock.Supervision.Learning;

/// <summary>
/// What the kernel itself opens to run a program: the interpreter of a <c>#!</c> script, and the dynamic loader an
/// ELF program names (PT_INTERP), each as a host path with symlinks resolved. No syscall of the child names them,
/// yet Landlock checks them as executed.
/// </summary>
internal static class ProgramInterpreters
{
    private const int HeaderBytes = 4096, PtInterp = 3;

    /// <summary>Interpreters of <paramref name="hostPath"/>, nearest first (a script's interpreter, then its loader).</summary>
    public static IReadOnlyList<string> Of(string hostPath, string root)
    {
        var found = new List<string>();
        // A script's interpreter may itself be a script, as far as the kernel follows (it allows a few levels).
        for (var program = hostPath; found.Count < 5 && Next(program, root) is { } next && !found.Contains(next); program = next)
            found.Add(next);
        return found;
    }

    private static string? Next(string hostPath, string root)
    {
        byte[] header;
        try
        {
            using var file = File.OpenRead(hostPath);
            header = new byte[HeaderBytes];
            header = header[..file.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false)];
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        var named = header.AsSpan().StartsWith("#!"u8) ? ScriptInterpreter(header) : ElfInterpreter(hostPath, header);
        if (named is null || !named.StartsWith('/')) return null;
        var inRoot = root == "/" ? named : root.TrimEnd('/') + named;
        return Interop.LibcPaths.RealPath(inRoot);
    }

    private static string? ScriptInterpreter(ReadOnlySpan<byte> header)
    {
        var line = header[2..];
        var end = line.IndexOf((byte)'\n');
        var text = System.Text.Encoding.UTF8.GetString(end < 0 ? line : line[..end]).Trim();
        var space = text.IndexOfAny([' ', '\t']);
        return space < 0 ? text : text[..space];
    }

    /// <summary>The PT_INTERP of a 64-bit little-endian ELF file, read from the file itself (it may lie past the header).</summary>
    private static string? ElfInterpreter(string hostPath, ReadOnlySpan<byte> header)
    {
        if (header.Length < 64 || !header.StartsWith("\u007fELF"u8) || header[4] != 2 || header[5] != 1) return null;
        var programHeaders = BinaryPrimitives.ReadUInt64LittleEndian(header[0x20..]);
        var entrySize = BinaryPrimitives.ReadUInt16LittleEndian(header[0x36..]);
        var count = BinaryPrimitives.ReadUInt16LittleEndian(header[0x38..]);
        for (var i = 0; i < count; i++)
        {
            var at = programHeaders + (ulong)(i * entrySize);
            if (entrySize < 56 || at + 56 > (ulong)header.Length) return null;
            var entry = header[(int)at..];
            if (BinaryPrimitives.ReadUInt32LittleEndian(entry) != PtInterp) continue;
            var offset = (long)BinaryPrimitives.ReadUInt64LittleEndian(entry[8..]);
            if (offset < 0) return null;
            var size = (int)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(entry[32..]), 4096);
            try
            {
                using var file = File.OpenRead(hostPath);
                file.Position = offset;
                var name = new byte[size];
                file.ReadExactly(name);
                return System.Text.Encoding.UTF8.GetString(name).TrimEnd('\0');
            }
            catch (IOException) { return null; }
            catch (UnauthorizedAccessException) { return null; }
        }
        return null;
    }
}
