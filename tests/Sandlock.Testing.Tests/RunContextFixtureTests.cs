using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

public sealed class RunContextXunitRun : FixtureTestRun
{
    protected override string ProjectName => "RunContextXunit";
}

public sealed class RunContextXunitAggressiveRun : FixtureTestRun
{
    protected override string ProjectName => "RunContextXunitAggressive";
}

/// <summary>
/// tests/fixtures/RunContextXunit and RunContextXunitAggressive (the same tests, tests/fixtures/RunContextShared): a
/// sandboxed test, in a child of its own, of its class or of the assembly, runs where xunit would run it without the
/// sandbox. With the conservative algorithm (xunit's default) that is a thread-pool thread and no context but
/// xunit's AsyncTestSyncContext; with the aggressive one, a thread of a MaxConcurrencySyncContext of the run's level,
/// which a test's continuations go back to.
/// </summary>
public abstract class RunContextFixtureTests(FixtureTestRun run)
{
    private static readonly string[] Sandboxed =
        ["OwnChild.WhereItRuns", "ClassChild.WhereItRuns", "SharedChild.WhereItRuns", "SharedChild.WhereItRunsToo"];

    private string Printed(string test)
    {
        var result = run.Report["RunContext." + test];
        Assert.True(result.Outcome == "Passed", $"{test}: {result.Outcome} {result.Message}");
        return result.StdOut.Trim();
    }

    protected string Plain => Printed("Plain.WhereItRuns");

    [Fact]
    public void A_sandboxed_test_runs_under_the_context_and_on_the_kind_of_thread_a_plain_one_does() =>
        Assert.All(Sandboxed, test => Assert.Equal(Plain, Printed(test)));
}

[Collection(XunitFixtureTests.Collection)]
public sealed class RunContextConservativeFixtureTests(RunContextXunitRun run) : RunContextFixtureTests(run), IClassFixture<RunContextXunitRun>
{
    [Fact]
    public void The_plain_test_runs_on_a_thread_pool_thread_under_no_context_of_the_runner() =>
        Assert.StartsWith("before AsyncTestSyncContext/none/0 pool=True", Plain, StringComparison.Ordinal);
}

[Collection(XunitFixtureTests.Collection)]
public sealed class RunContextAggressiveFixtureTests(RunContextXunitAggressiveRun run) : RunContextFixtureTests(run), IClassFixture<RunContextXunitAggressiveRun>
{
    [Fact]
    public void The_plain_test_runs_under_a_max_concurrency_context_of_the_configured_three_threads()
    {
        Assert.StartsWith("before AsyncTestSyncContext/MaxConcurrencySyncContext/3 pool=False", Plain, StringComparison.Ordinal);
        Assert.Contains("after MaxConcurrencySyncContext/none/3 pool=False", Plain, StringComparison.Ordinal);
    }
}
