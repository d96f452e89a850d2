namespace Sandlock.Testing.Protocol;

/// <summary>
/// One line between the parent and a shared child, over the unix socket in the child's session folder. The parent
/// sends <see cref="Run"/>; the child sets the test's environment and answers <see cref="Starting"/>; the parent
/// restarts the supervisor's seeded stream and virtual clock and answers <see cref="Go"/>; the child runs the test
/// and answers <see cref="Done"/> with its report.
/// </summary>
internal sealed record SharedChildMessage(string Kind)
{
    public const string Run = "run", Starting = "starting", Go = "go", Done = "done";

    public ChildTestRequest? Request { get; init; }

    /// <summary>The test's own temp folder, as the child sees it (TMPDIR, SANDLOCK_TEST_TEMP).</summary>
    public string? TempDirectory { get; init; }

    /// <summary>The test's seed (SANDLOCK_TEST_SEED), the one the supervisor's stream restarts with.</summary>
    public ulong Seed { get; init; }

    public ChildRunReport? Report { get; init; }
}
