using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.TestSupport;

/// <summary>The first 32 bytes a sandbox reads from its seeded /dev/urandom, as one hex line.</summary>
public static class SeededDraws
{
    /// <summary>A shell command that prints them.</summary>
    public const string Draw = "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n'; echo";

    /// <summary>What a fresh sandbox with <paramref name="seed"/> prints for <see cref="Draw"/>.</summary>
    public static async Task<string> FreshAsync(ulong seed)
    {
        var fresh = await Sh(SystemOnly().RandomSeed(seed), Draw);
        AssertSucceeded(fresh);
        return fresh.StandardOutputText.Trim();
    }
}
