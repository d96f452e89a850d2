using System.Globalization;
using System.Numerics;

namespace Sandlock.Supervision;

/// <summary>
/// What the sandbox reads of a process (or thread) from /proc/PID/status; SeccompFiltered: under a seccomp filter
/// (mode 2), as every process of a sandbox with seccomp is.
/// </summary>
internal sealed record ProcessStatus(int ThreadGroup, int Parent, ulong EffectiveCapabilities, bool SeccompFiltered)
{
    /// <summary>The file mode creation mask, which files made on the process's behalf must honour.</summary>
    public uint Umask { get; private init; } = Convert.ToUInt32("022", 8);

    /// <summary>Null when the process is gone or its status cannot be read.</summary>
    public static ProcessStatus? Read(int pid)
    {
        // The whole file in one read, parsed where it lies: held calls ask this several times per child start
        // (/proc/self, a thread's process), and a line reader's buffers and strings cost more than the kernel's text.
        Span<byte> text = stackalloc byte[8192];
        var length = 0;
        try
        {
            using var handle = File.OpenHandle($"/proc/{pid}/status");
            for (int read; length < text.Length && (read = RandomAccess.Read(handle, text[length..], length)) > 0;) length += read;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        return Parse(text[..length]);
    }

    private static ProcessStatus? Parse(ReadOnlySpan<byte> text)
    {
        int? tgid = null, parent = null;
        uint? umask = null;
        ulong? capabilities = null;
        var filtered = false;
        foreach (var range in text.Split((byte)'\n'))
        {
            var line = text[range];
            var colon = line.IndexOf((byte)':');
            if (colon < 0) continue;
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (name.SequenceEqual("Umask"u8)) umask = Octal(value);
            else if (name.SequenceEqual("Tgid"u8)) tgid = Number<int>(value, NumberStyles.None);
            else if (name.SequenceEqual("PPid"u8)) parent = Number<int>(value, NumberStyles.None);
            else if (name.SequenceEqual("CapEff"u8)) capabilities = Number<ulong>(value, NumberStyles.AllowHexSpecifier);
            else if (name.SequenceEqual("Seccomp"u8))
            {
                filtered = value.SequenceEqual("2"u8);
                break;
            }
        }
        if (tgid is not { } t || parent is not { } p || capabilities is not { } c) return null;
        var status = new ProcessStatus(t, p, c, filtered);
        return umask is { } mask ? status with { Umask = mask } : status;
    }

    private static T? Number<T>(ReadOnlySpan<byte> value, NumberStyles style) where T : struct, IUtf8SpanParsable<T>, INumberBase<T> =>
        T.TryParse(value, style, CultureInfo.InvariantCulture, out var number) ? number : null;

    private static uint? Octal(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty) return null;
        uint mask = 0;
        foreach (var digit in value)
        {
            if (digit is < (byte)'0' or > (byte)'7') return null;
            mask = (mask << 3) | (uint)(digit - '0');
        }
        return mask;
    }
}
