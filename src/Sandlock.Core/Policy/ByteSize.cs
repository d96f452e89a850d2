using System.Globalization;

namespace Sandlock;

/// <summary>A size in bytes, written as <c>512M</c>, <c>1G</c>, <c>64K</c> or a plain byte count.</summary>
public readonly record struct ByteSize(long Bytes)
{
    public static ByteSize Parse(string text, string source)
    {
        if (TryParse(text, out var size)) return size;
        throw new PolicyException(source,
            $"invalid size '{text}': expected a number with an optional suffix K, M, G or T (e.g. 512M)");
    }

    public static bool TryParse(string? text, out ByteSize size)
    {
        size = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        var s = text.Trim();
        long multiplier = 1;
        var last = char.ToUpperInvariant(s[^1]);
        // "512MB"/"512MiB" are common spellings of the same thing.
        if (s.EndsWith("iB", StringComparison.OrdinalIgnoreCase)) { s = s[..^2]; last = char.ToUpperInvariant(s.Length > 0 ? s[^1] : ' '); }
        else if (s.Length > 1 && last == 'B' && char.IsLetter(s[^2])) { s = s[..^1]; last = char.ToUpperInvariant(s[^1]); }
        switch (last)
        {
            case 'K': multiplier = 1L << 10; s = s[..^1]; break;
            case 'M': multiplier = 1L << 20; s = s[..^1]; break;
            case 'G': multiplier = 1L << 30; s = s[..^1]; break;
            case 'T': multiplier = 1L << 40; s = s[..^1]; break;
            case 'B': s = s[..^1]; break;
        }
        if (s.Length == 0 || !long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        if (n <= 0 || n > long.MaxValue / multiplier) return false;
        size = new ByteSize(n * multiplier);
        return true;
    }

    public override string ToString() => Bytes switch
    {
        _ when Bytes % (1L << 30) == 0 => $"{Bytes >> 30}G",
        _ when Bytes % (1L << 20) == 0 => $"{Bytes >> 20}M",
        _ when Bytes % (1L << 10) == 0 => $"{Bytes >> 10}K",
        _ => Bytes.ToString(CultureInfo.InvariantCulture),
    };
}
