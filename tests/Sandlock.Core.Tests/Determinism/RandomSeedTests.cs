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
    public async Task A_dotnet_program_gets_the_same_guids_under_the_same_seed_and_others_under_another()
    {
        // Guids come from getrandom alone. Random, Random.Shared and string hash seeds come from System.Native, which
        // mixes time and pid into what it reads; RandomNumberGenerator is OpenSSL's, which mixes in the clock: those
        // become repeatable only with time_start and a virtual pid (the determinism issue).
        static string Seeded(string output) => output.Split('\n')[0].Split(' ')[2];
        var first = await Draw(42, DotnetPrograms.Command("random"));
        var again = await Draw(42, DotnetPrograms.Command("random"));
        var other = await Draw(43, DotnetPrograms.Command("random"));
        Assert.Equal(Seeded(first), Seeded(again));
        Assert.NotEqual(Seeded(first), Seeded(other));
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
}
