using Sandlock.Supervision;

namespace Sandlock.Tests.Determinism;

/// <summary>The ELF parser reading a library's file part by part, as the supervisor does, against the whole file in memory.</summary>
public sealed class ElfFileTests
{
    private const string Libc = "/usr/lib/x86_64-linux-gnu/libc.so.6";

    private static ElfImage ParseFile(byte[] file, List<(long Offset, int Length)> reads) =>
        ElfImage.Parse(file.Length, (offset, into) =>
        {
            reads.Add((offset, into.Length));
            file.AsSpan((int)offset, into.Length).CopyTo(into);
        }, Libc);

    [Fact]
    public void Reading_only_headers_symbols_and_relocations_finds_what_the_whole_file_holds()
    {
        var file = File.ReadAllBytes(Libc);
        var whole = ElfImage.Parse(file, Libc);
        var reads = new List<(long Offset, int Length)>();
        var parts = ParseFile(file, reads);

        Assert.Contains("srand48", whole.Functions);
        Assert.Equal(whole.Functions.Order(StringComparer.Ordinal), parts.Functions.Order(StringComparer.Ordinal));
        foreach (var name in whole.Functions)
        {
            whole.TryGetFunction(name, out var offset, out var size);
            Assert.True(parts.TryGetFunction(name, out var partOffset, out var partSize) && (offset, size) == (partOffset, partSize), name);
        }
        Assert.Equal(whole.ContentEnd, parts.ContentEnd);
        // The code is most of a library; none of it is read.
        Assert.True(reads.Sum(r => (long)r.Length) < file.Length / 4, $"{reads.Sum(r => (long)r.Length)} of {file.Length} bytes read");
    }

    [Fact]
    public void A_file_cut_short_or_ending_while_read_is_a_format_error()
    {
        var file = File.ReadAllBytes(Libc);
        Assert.Throws<FormatException>(() => ElfImage.Parse(file[..(file.Length / 2)], Libc));
        Assert.Throws<FormatException>(() => ElfImage.Parse(file.Length, (offset, into) =>
        {
            if (offset > 64) throw new FormatException($"{Libc} ended while it was read");
            file.AsSpan((int)offset, into.Length).CopyTo(into);
        }, Libc));
    }
}
