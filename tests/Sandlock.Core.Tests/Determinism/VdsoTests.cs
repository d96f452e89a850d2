using Sandlock.Supervision;
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
        var image = ElfImage.Parse(OwnVdso(), "the vDSO");
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
        Assert.Throws<FormatException>(() => ElfImage.Parse(new byte[100], "the vDSO"));
        var image = OwnVdso();
        image[18] = 183; // EM_AARCH64
        Assert.Throws<FormatException>(() => ElfImage.Parse(image, "the vDSO"));
        image = OwnVdso();
        BitConverter.GetBytes(0x7FFF_0000L).CopyTo(image, 40); // section headers far outside
        Assert.Throws<FormatException>(() => ElfImage.Parse(image, "the vDSO"));
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
        Assert.Equal("488b34244889e2b8c90000000f05c3", Hex(VdsoStubs.Time));
        Assert.Equal("4983f8ff750848c7c0daffffffc3b83e0100000f05c3", Hex(VdsoStubs.GetRandom));
    }

    [Fact]
    public void The_trampolines_are_the_assembled_listing_with_the_displaced_prologue_and_the_jump_back()
    {
        // `as` output for the trampoline listing in VdsoStubs, immediates zeroed, then the prologue and jmp rel32.
        const string assembled = "85ff741c83ff05741e83ff08740a83ff0b7405e9c8000000b8e40000000f05c3bf01000000eb05bf0600000056e8ae0000005e85c07530" +
            "48b9" + "80436d3800000000" + "48030eba" + "15cd5b07" + "480356084881fa00ca9a3b7c0a4881ea00ca9a3b48ffc148890e48895608c3" +
            "4885f675424885ff743a574883ec1031ff4889e6e87fffffff488b4c241085c0751d488b1424488911488b44240831d241b8e803000049f7f04889410831c04883c418c331c0c3b8600000000f05c3" +
            "574883ec1031ff4889e6e83affffff488b4c241085c0750c488b04244885c974034889014883c418c3";
        byte[] prologue = [0x55, 0x48, 0x89, 0xe5, 0x41, 0x56, 0x53];
        // clock_gettime 0x1000 bytes before the code: the jump back lands on its 8th byte.
        var code = VdsoStubs.Trampolines(946_684_800L * 1_000_000_000L + 123_456_789L, prologue, -0x1000);
        var back = -0x1000 + prologue.Length - (0xe0 + prologue.Length + 5);
        Assert.Equal(assembled + "554889e5415653" + Hex(VdsoStubs.Jump(back)), Hex(code));
        Assert.Equal("e9fbefffff", Hex(VdsoStubs.Jump(-0x1005)));
    }

    [Theory]
    [InlineData("554889e5415653", 6)]
    [InlineData("f30f1efa554889e5", 5)]
    [InlineData("4883ec2853", 5)]
    [InlineData("4883ec28c3", null)]     // ret
    [InlineData("554883e4f0", 5)]
    [InlineData("488d05", null)]        // lea rax, [rip+...]: would point elsewhere when moved
    [InlineData("55e8000000", null)]    // call rel32
    public void Only_instructions_that_run_the_same_anywhere_are_displaced(string prologue, int? length)
    {
        Assert.Equal(length, VdsoStubs.DisplaceableLength(Convert.FromHexString(prologue + "0000000000")));
    }

    [Fact]
    public void This_kernels_vdso_gets_the_trampolines_and_a_patched_one_needs_nothing_more()
    {
        var image = OwnVdso();
        var vdso = ElfImage.Parse(image, "the vDSO");
        var patcher = new VdsoPatcher(new VirtualClock(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero)), seededRandom: true);
        var (writes, failure) = patcher.Plan(vdso, image, out var fast);
        Assert.Null(failure);
        Assert.True(fast);
        Assert.True(writes[0].Offset >= vdso.ContentEnd, "the trampolines go after the ELF file");
        foreach (var write in writes) write.Code.CopyTo(image, write.Offset);
        var (again, _) = patcher.Plan(vdso, image, out var stillFast);
        Assert.True(stillFast);
        Assert.Empty(again);
    }

    [Theory]
    [InlineData(true, true)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void With_random_seed_time_is_the_bare_syscall_the_supervisor_holds_else_the_trampoline(bool clock, bool seededRandom)
    {
        var image = OwnVdso();
        var vdso = ElfImage.Parse(image, "the vDSO");
        Assert.True(vdso.TryGetFunction("__vdso_time", out var time, out _));
        var patcher = new VdsoPatcher(clock ? new VirtualClock(DateTimeOffset.UnixEpoch.AddYears(30)) : null, seededRandom);
        var (writes, failure) = patcher.Plan(vdso, image, out _);
        Assert.Null(failure);
        var timeWrite = Assert.Single(writes, w => w.Offset == time);
        if (seededRandom) Assert.Equal(VdsoStubs.Time, timeWrite.Code);
        else Assert.Equal(0xe9, timeWrite.Code[0]); // jmp to the trampoline
    }

    [Fact]
    public void An_unfamiliar_clock_gettime_gets_the_plain_stubs_in_place()
    {
        var image = OwnVdso();
        var vdso = ElfImage.Parse(image, "the vDSO");
        Assert.True(vdso.TryGetFunction("__vdso_clock_gettime", out var clockGettime, out _));
        image[clockGettime] = 0xcc; // int3: not an instruction the trampolines may move
        var (writes, failure) = new VdsoPatcher(new VirtualClock(DateTimeOffset.UnixEpoch.AddYears(30)), seededRandom: false).Plan(vdso, image, out var fast);
        Assert.Null(failure);
        Assert.False(fast);
        Assert.Contains(writes, w => w.Offset == clockGettime && w.Code.Length == VdsoStubs.ClockGettime(0).Length);
    }

    [Fact]
    public void A_negative_offset_is_split_into_seconds_and_a_positive_nanosecond_part()
    {
        Assert.Equal((-2L, 500_000_000L), VirtualClock.Split(-1_500_000_000));
        Assert.Equal((1L, 0L), VirtualClock.Split(1_000_000_000));
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
