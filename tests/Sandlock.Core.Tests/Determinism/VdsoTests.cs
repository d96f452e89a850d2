using Sandlock.Supervision.Time;

namespace Sandlock.Tests.Determinism;

/// <summary>The vDSO parser on this kernel's real vDSO, and the stub bytes against their assembled listing.</summary>
public sealed class VdsoTests
{
    private static byte[] OwnVdso()
    {
        var line = File.ReadLines("/proc/self/maps").First(l => l.EndsWith(" [vdso]", StringComparison.Ordinal));
        var range = line[..line.IndexOf(' ')].Split('-');
        var start = Convert.ToInt64(range[0], 16);
        using var memory = new FileStream("/proc/self/mem", FileMode.Open, FileAccess.Read);
        memory.Position = start;
        var image = new byte[Convert.ToInt64(range[1], 16) - start];
        memory.ReadExactly(image);
        return image;
    }

    [Fact]
    public void Finds_the_clock_functions_of_this_kernels_vdso_with_room_for_the_stubs()
    {
        var image = VdsoImage.Parse(OwnVdso());
        Assert.True(image.TryGetFunction("__vdso_clock_gettime", out var offset, out var size));
        Assert.True(image.TryGetFunction("clock_gettime", out var alias, out _));
        Assert.Equal(offset, alias);
        Assert.True(size >= VdsoStubs.ClockGettime(0).Length, $"{size} bytes");
        Assert.True(image.TryGetFunction("__vdso_time", out _, out var timeSize) && timeSize >= VdsoStubs.Time.Length);
        Assert.True(image.TryGetFunction("__vdso_gettimeofday", out _, out var todSize) && todSize >= VdsoStubs.GetTimeOfDay.Length);
        Assert.False(image.TryGetFunction("no_such_function", out _, out _));
    }

    [Fact]
    public void Rejects_what_is_not_an_x86_64_elf_image()
    {
        Assert.Throws<FormatException>(() => VdsoImage.Parse(new byte[100]));
        var image = OwnVdso();
        image[18] = 183; // EM_AARCH64
        Assert.Throws<FormatException>(() => VdsoImage.Parse(image));
        image = OwnVdso();
        BitConverter.GetBytes(0x7FFF_0000L).CopyTo(image, 40); // section headers far outside
        Assert.Throws<FormatException>(() => VdsoImage.Parse(image));
    }

    [Fact]
    public void The_clock_stub_is_the_assembled_listing_with_the_offset_in_its_immediates()
    {
        // `as` output for the listing in VdsoStubs, with OFFSET_SECONDS 0x1122334455667788 and OFFSET_NANOSECONDS 0x11223344.
        const string assembled = "85ff740d83ff05740fb8e40000000f05c3bf01000000eb05bf06000000b8e40000000f054885c0753048b9" +
            "8877665544332211" + "48030eba" + "44332211" + "480356084881fa00ca9a3b7c0a4881ea00ca9a3b48ffc148890e48895608c3";
        var code = VdsoStubs.ClockGettime(946_684_800L * 1_000_000_000L + 123_456_789L);
        var expected = assembled.Replace("8877665544332211", "80436d3800000000").Replace("44332211", "15cd5b07");
        Assert.Equal(expected, Hex(code));
        Assert.Equal("b8600000000f05c3", Hex(VdsoStubs.GetTimeOfDay));
        Assert.Equal("b8c90000000f05c3", Hex(VdsoStubs.Time));
        Assert.Equal("4983f8ff750848c7c0daffffffc3b83e0100000f05c3", Hex(VdsoStubs.GetRandom));
    }

    [Fact]
    public void A_negative_offset_is_split_into_seconds_and_a_positive_nanosecond_part()
    {
        Assert.Equal((-2L, 500_000_000L), VirtualClock.Split(-1_500_000_000));
        Assert.Equal((1L, 0L), VirtualClock.Split(1_000_000_000));
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
