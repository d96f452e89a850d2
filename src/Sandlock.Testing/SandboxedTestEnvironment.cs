using System.Globalization;

namespace Sandlock.Testing;

/// <summary>What a test can learn about the sandbox it runs in, through environment variables the parent sets.</summary>
public static class SandboxedTestEnvironment
{
    /// <summary>Set to 1 in a sandboxed test's child process; adapters run the test in place when they see it.</summary>
    public const string ChildVariable = "SANDLOCK_TEST_CHILD";

    /// <summary>The test's stable seed: the attribute's RandomSeed, or one derived from the test's full name.</summary>
    public const string SeedVariable = "SANDLOCK_TEST_SEED";

    /// <summary>The test's private writable directory (TMPDIR points to it too).</summary>
    public const string TempDirVariable = "SANDLOCK_TEST_TEMP";

    /// <summary>The full path of the test's copy-on-write workdir (<c>[Sandboxed(Workdir = ...)]</c>).</summary>
    public const string WorkdirVariable = "SANDLOCK_TEST_WORKDIR";

    /// <summary>Set to 1 in a test host confined whole (SandlockTestHost=true, --sandlock), where [Sandboxed] cannot start children.</summary>
    public const string ConfinedHostVariable = "SANDLOCK_TEST_HOST_CONFINED";

    public static bool IsSandboxedChild => Environment.GetEnvironmentVariable(ChildVariable) == "1";

    public static bool IsConfinedHost => Environment.GetEnvironmentVariable(ConfinedHostVariable) == "1";

    /// <summary>The test's seed, or null outside a sandboxed test.</summary>
    public static ulong? Seed =>
        ulong.TryParse(Environment.GetEnvironmentVariable(SeedVariable), NumberStyles.None, CultureInfo.InvariantCulture, out var seed) ? seed : null;

    /// <summary>The test's private temp dir, or null outside a sandboxed test.</summary>
    public static string? TempDirectory => Environment.GetEnvironmentVariable(TempDirVariable);

    /// <summary>The folder the test changes through a copy-on-write layer, or null when it has no Workdir.</summary>
    public static string? Workdir => Environment.GetEnvironmentVariable(WorkdirVariable);
}
