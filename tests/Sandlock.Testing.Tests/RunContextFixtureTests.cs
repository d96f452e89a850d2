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

public sealed class RunContextNUnitRun : FixtureTestRun
{
    protected override string ProjectName => "RunContextNUnit";
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
    private string Printed(string test)
    {
        var result = run.Report["RunContext." + test];
        Assert.True(result.Outcome == "Passed", $"{test}: {result.Outcome} {result.Message}");
        return result.StdOut.Trim();
    }

    protected string Plain => Printed("Plain.WhereItRuns");

    protected string PlainAcrossAnAwait => Printed("PlainAwaits.WhereItGoesOn");

    [Fact]
    public void A_sandboxed_test_runs_under_the_context_and_on_the_kind_of_thread_a_plain_one_does() =>
        Assert.All(["OwnChild.WhereItRuns", "ClassChild.WhereItRuns", "SharedChild.WhereItRuns", "SharedChild.WhereItRunsToo"],
            test => Assert.Equal(Plain, Printed(test)));

    [Fact]
    public void A_sandboxed_tests_console_output_goes_where_a_plain_ones_does_with_the_runs_output() =>
        Assert.All(["a plain test", "a test in a child of its own", "a test in a shared child"], writer =>
        {
            Assert.Contains($"console out of {writer}", run.Report.RunOutput, StringComparison.Ordinal);
            Assert.Contains($"console error of {writer}", run.Report.RunOutput, StringComparison.Ordinal);
        });

    [Fact]
    public void A_sandboxed_test_goes_on_after_an_await_where_a_plain_one_does() =>
        Assert.All(["OwnChildAwaits.WhereItGoesOn", "ClassChildAwaits.WhereItGoesOn", "SharedChildAwaits.WhereItGoesOn"],
            test => Assert.Equal(PlainAcrossAnAwait, Printed(test)));
}

[Collection(XunitFixtureTests.Collection)]
public sealed class RunContextConservativeFixtureTests(RunContextXunitRun run) : RunContextFixtureTests(run), IClassFixture<RunContextXunitRun>
{
    [Fact]
    public void The_plain_test_runs_on_a_thread_pool_thread_under_no_context_of_the_runner() =>
        Assert.StartsWith("at AsyncTestSyncContext/none/0 pool=True", Plain, StringComparison.Ordinal);
}

[Collection(XunitFixtureTests.Collection)]
public sealed class RunContextAggressiveFixtureTests(RunContextXunitAggressiveRun run) : RunContextFixtureTests(run), IClassFixture<RunContextXunitAggressiveRun>
{
    [Fact]
    public void The_plain_test_runs_under_a_max_concurrency_context_of_the_configured_three_threads()
    {
        Assert.StartsWith("at AsyncTestSyncContext/MaxConcurrencySyncContext/3 pool=False", Plain, StringComparison.Ordinal);
        Assert.Contains("after MaxConcurrencySyncContext/none/3 pool=False", PlainAcrossAnAwait, StringComparison.Ordinal);
    }
}

/// <summary>
/// tests/fixtures/RunContextNUnit: a sandboxed NUnit test, in a child of its own, of its fixture or of the assembly, runs
/// on the kind of NUnit worker a plain one does (its <c>TestContext.WorkerId</c> and thread), under the same context: the
/// non-parallel worker, or a parallel one for a <c>[Parallelizable]</c> fixture.
/// </summary>
[Collection(XunitFixtureTests.Collection)]
public sealed class RunContextNUnitFixtureTests(RunContextNUnitRun run) : IClassFixture<RunContextNUnitRun>
{
    private string Printed(string test)
    {
        var result = run.Report[test];
        Assert.True(result.Outcome == "Passed", $"{test}: {result.Outcome} {result.Message}");
        return result.StdOut.Trim();
    }

    [Fact]
    public void A_sandboxed_test_runs_on_the_worker_a_plain_one_does()
    {
        var plain = Printed("PlainRuns");
        Assert.StartsWith("before SafeSynchronizationContext worker=NUnit.Fw.NonParallelWorker thread=NUnit.Fw.NonParallelWorker", plain, StringComparison.Ordinal);
        Assert.All(["OwnChildRuns", "ClassChildRuns", "SharedChildRuns", "SharedChildRunsToo"], test => Assert.Equal(plain, Printed(test)));
    }

    [Fact]
    public void A_sandboxed_parallelizable_test_runs_on_a_parallel_worker_as_a_plain_one_does()
    {
        var plain = Printed("ParallelPlainRuns");
        Assert.StartsWith("before SafeSynchronizationContext worker=NUnit.Fw.ParallelWorker thread=NUnit.Fw.ParallelWorker", plain, StringComparison.Ordinal);
        Assert.All(["ParallelSharedRuns", "ParallelSharedRunsToo"], test => Assert.Equal(plain, Printed(test)));
    }
}
