namespace Sandlock.Testing.Protocol;

/// <summary>
/// One message between the parent and a shared child (a frame, <see cref="ProtocolCodec"/>), over the unix socket in
/// the child's session folder. The parent sends <see cref="Run"/> with a batch of tests; the child runs them one after
/// the other without waiting for the parent and answers <see cref="Done"/> with each test's report, in order. As a test itself starts, the child opens
/// the session's job-start file (<see cref="SharedChildFiles"/>); before that open returns, the supervisor removes the
/// folder of the test before, makes this test's own temp folder and restarts its seeded streams and virtual clock
/// with the test's seed.
/// </summary>
internal sealed record SharedChildMessage(string Kind)
{
    public const string Run = "run", Done = "done";

    /// <summary>The tests of a <see cref="Run"/>, in the order the child runs them.</summary>
    public IReadOnlyList<SharedChildTest>? Tests { get; init; }

    public ChildRunReport? Report { get; init; }
}

/// <param name="Seed">The test's seed (SANDLOCK_TEST_SEED), the one the supervisor's streams restart with.</param>
/// <param name="TempDirectory">The test's own temp folder, as the child sees it (TMPDIR, SANDLOCK_TEST_TEMP); made as it starts.</param>
internal sealed record SharedChildTest(ChildTestRequest Request, ulong Seed, string TempDirectory);
