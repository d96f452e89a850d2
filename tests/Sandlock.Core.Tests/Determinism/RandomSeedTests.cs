using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Determinism;

public sealed class RandomSeedTests
{
    private static async Task<string> Draw(ulong? seed, params string[] command)
    {
        var builder = DotnetPrograms.Policy();
        if (seed is { } s) builder.RandomSeed(s);
        var result = await Run(builder, command);
        AssertSucceeded(result);
        return result.StandardOutputText;
    }

    [Fact]
    public async Task A_dotnet_programs_Random_Guids_and_string_hashes_repeat_under_one_seed_whatever_the_clock_and_differ_under_another()
    {
        // Random, Random.Shared and string hash seeds XOR the seeded bytes with lrand48, which the runtime seeds with
        // time(NULL): the supervisor answers that call from the seed, so no time_start is needed and the second the
        // program starts in does not matter (the runs are more than a second apart). Then Guid and the HashSet order.
        static string Seeded(string output) => string.Join('\n', output.Split('\n')[..2]);
        var first = await Draw(42, DotnetPrograms.Command("random"));
        await Task.Delay(TimeSpan.FromMilliseconds(1100));
        var again = await Draw(42, DotnetPrograms.Command("random"));
        var other = await Draw(43, DotnetPrograms.Command("random"));
        Assert.Equal(Seeded(first), Seeded(again));
        Assert.NotEqual(first.Split(' ')[0], other.Split(' ')[0]);
        Assert.NotEqual(first.Split('\n')[1].Split(' ')[0], other.Split('\n')[1].Split(' ')[0]);
    }

    [Theory]
    [InlineData("O0")]
    [InlineData("O2")]
    [InlineData("O2-fno-plt")]
    [InlineData("O2-no-pie")]
    [InlineData("O2-ibt-plt")]
    [InlineData("static")]
    public async Task A_C_generator_seeded_from_time_repeats_under_one_seed_even_drawn_seconds_later_and_other_clock_reads_stay_the_clock(string build)
    {
        using var dir = new TempDir();
        var program = build switch
        {
            "static" => CPrograms.Build("Determinism/seeding.c", dir[build], isStatic: true),
            "O2-no-pie" => CPrograms.Build("Determinism/seeding.c", dir[build], false, "-O2", "-fno-pie", "-no-pie"),
            "O2-fno-plt" => CPrograms.Build("Determinism/seeding.c", dir[build], false, "-O2", "-fno-plt"),
            "O2-ibt-plt" => CPrograms.Build("Determinism/seeding.c", dir[build], false, "-O2", "-fcf-protection=full", "-Wl,-z,ibtplt"),
            _ => CPrograms.Build("Determinism/seeding.c", dir[build], false, "-" + build),
        };
        async Task<string[]> Seeding(ulong seed, params string[] args)
        {
            var result = await Run(SystemOnly().FsRead(dir.Path).RandomSeed(seed).TimeStart("2000-01-01T00:00:00Z"), [program, .. args]);
            AssertSucceeded(result);
            return result.StandardOutputText.Split('\n');
        }

        var first = await Seeding(5);
        var later = await Seeding(5, "1100");
        var other = await Seeding(6);

        Assert.Equal(first[0], later[0]);
        Assert.NotEqual(first[0], other[0]);
        // time(NULL) kept for itself is the virtual clock of 2000-01-01, a second or so in.
        Assert.InRange(long.Parse(later[1], System.Globalization.CultureInfo.InvariantCulture), 946_684_800, 946_684_800 + 60);
    }

    [Fact]
    public async Task Without_a_seed_runs_differ()
    {
        Assert.NotEqual(await Draw(null, DotnetPrograms.Command("random")), await Draw(null, DotnetPrograms.Command("random")));
    }

    [Fact]
    public async Task Getrandom_and_dev_urandom_are_seeded_for_any_program()
    {
        string[] python = ["/usr/bin/python3", "-c", "import os, random; print(os.urandom(8).hex(), random.random(), hash('abc'))"];
        string[] device = ["sh", "-c", "head -c 16 /dev/urandom | od -An -tx1"];
        if (File.Exists("/usr/bin/python3")) Assert.Equal(await Draw(7, python), await Draw(7, python));
        Assert.Equal(await Draw(7, device), await Draw(7, device));
        Assert.NotEqual(await Draw(7, device), await Draw(8, device));
    }

    [Fact]
    public async Task Both_devices_read_the_same_seeded_bytes_from_the_start_at_every_open()
    {
        var result = await Sh(new SandboxPolicyBuilder().RandomSeed(7),
            "for d in /dev/urandom /dev/random /dev/urandom; do head -c 16 $d | od -An -tx1; done");
        AssertSucceeded(result);
        var lines = result.StandardOutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Single(lines.Distinct());
    }

    [Fact]
    public async Task What_the_sandbox_writes_into_its_copy_of_the_device_no_other_open_reads()
    {
        // Unconfined files, so /proc/self/fd/3 reopens the served copy itself, for writing: a pipe of its own, which
        // this write fills (and then waits on, hence the timeout). The next open reads the seeded bytes.
        var result = await Sh(new SandboxPolicyBuilder().RandomSeed(7),
            "exec 3</dev/urandom; timeout 2 sh -c 'printf abcd 1<>/proc/self/fd/3'; head -c 4 /dev/urandom | od -An -tx1");
        Assert.Equal((await Draw(7, "sh", "-c", "head -c 4 /dev/urandom | od -An -tx1")).Trim(), result.StandardOutputText.Trim());
    }

    [Fact]
    public async Task The_seeded_device_does_not_end()
    {
        // 4 MiB: more than any pipe or file of it holds at once; the same bytes under one seed, others under another.
        const string Read = "head -c 4194304 /dev/urandom | wc -c; head -c 4194304 /dev/urandom | sha256sum";
        var first = await Draw(7, "sh", "-c", Read);
        Assert.Equal("4194304", first.Split('\n')[0].Trim());
        Assert.Equal(first, await Draw(7, "sh", "-c", Read));
        Assert.NotEqual(first, await Draw(8, "sh", "-c", Read));
        // Its start is the stream a seeded device always served.
        var start = await Draw(7, "sh", "-c", "head -c 16 /dev/urandom | od -An -tx1");
        var stream = new Sandlock.Supervision.Determinism.SeededBytes(7, "urandom").Take(16);
        Assert.Equal(string.Join(' ', stream.Select(b => b.ToString("x2"))), start.Trim());
    }

    [Fact]
    public async Task A_write_to_the_device_reaches_the_device()
    {
        // Writing adds to the kernel's pool, as outside; what is read stays the seed's.
        var result = await Sh(new SandboxPolicyBuilder().RandomSeed(7),
            "echo more entropy > /dev/urandom && echo written; head -c 4 /dev/urandom | od -An -tx1");
        AssertSucceeded(result);
        var lines = result.StandardOutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("written", lines[0]);
        Assert.Equal((await Draw(7, "sh", "-c", "head -c 4 /dev/urandom | od -An -tx1")).Trim(), lines[1].Trim());
    }
}
