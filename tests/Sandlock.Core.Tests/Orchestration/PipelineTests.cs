using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Orchestration;

public sealed class PipelineTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Echo_into_tr_yields_HELLO()
    {
        var a = SystemOnly().Build();
        var b = SystemOnly().Build();
        var result = await (new Stage(a, ["echo", "hello"]) | new Stage(b, ["tr", "a-z", "A-Z"])).RunAsync(Generous);
        AssertSucceeded(result);
        Assert.Equal("HELLO\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Three_stages_pass_data_along_and_the_last_status_is_the_result()
    {
        var policy = SystemOnly().Build();
        var result = await (new Stage(policy, ["seq", "1", "20000"]) | new Stage(policy, ["grep", "7"]) | new Stage(policy, ["sh", "-c", "wc -l; exit 5"]))
            .RunAsync(Generous);
        Assert.Equal(5, result.ExitCode);
        // seq 1..20000 has 6878 numbers with a 7: far more than a pipe buffer, so the stages really ran side by side.
        Assert.Equal("6878", result.StandardOutputText.Trim());
    }

    [Fact]
    public async Task Each_stage_is_confined_by_its_own_policy()
    {
        var secret = _dir.Write("secret.txt", "from stage a\n");
        var a = SystemOnly().FsRead(_dir.Path).Build();
        var b = SystemOnly().Build();
        var result = await (new Stage(a, ["cat", secret]) | new Stage(b, ["sh", "-c", $"cat; cat {secret}"])).RunAsync(Generous);

        // What a could read reached b through the pipe; b's own attempt on the same file was refused.
        Assert.Equal("from stage a\n", result.StandardOutputText);
        AssertDenied(result);
        Assert.Contains(secret, result.StandardErrorText);
    }

    [Fact]
    public async Task The_allowed_case_of_the_second_stage_works()
    {
        var secret = _dir.Write("secret.txt", "readable by both\n");
        var both = SystemOnly().FsRead(_dir.Path).Build();
        var result = await (new Stage(both, ["true"]) | new Stage(both, ["cat", secret])).RunAsync(Generous);
        AssertSucceeded(result);
        Assert.Equal("readable by both\n", result.StandardOutputText);
    }

    [Fact]
    public async Task A_failing_middle_stage_ends_the_pipeline()
    {
        var policy = SystemOnly().Build();
        // yes never stops on its own: only the closed pipe of the failed stage can end it.
        var result = await (new Stage(policy, ["yes"]) | new Stage(policy, ["sh", "-c", "exit 3"]) | new Stage(policy, ["cat"]))
            .RunAsync(Generous);
        Assert.False(result.Status.TimedOut, $"the pipeline hung: {result.Status}");
        AssertSucceeded(result);
        Assert.Equal("", result.StandardOutputText);
    }

    [Fact]
    public async Task A_failing_last_stage_ends_the_pipeline_with_its_status()
    {
        var policy = SystemOnly().Build();
        var result = await (new Stage(policy, ["yes"]) | new Stage(policy, ["sh", "-c", "head -c 3; exit 7"])).RunAsync(Generous);
        Assert.False(result.Status.TimedOut, $"the pipeline hung: {result.Status}");
        Assert.Equal(7, result.ExitCode);
        Assert.Equal("y\ny", result.StandardOutputText);
    }

    [Fact]
    public async Task Stages_still_running_when_the_last_ends_are_killed()
    {
        var policy = SystemOnly().Build();
        // sleep writes nothing, so no SIGPIPE would ever end it.
        var result = await (new Stage(policy, ["sleep", "600"]) | new Stage(policy, ["echo", "done"])).RunAsync(Generous);
        Assert.False(result.Status.TimedOut, $"the pipeline waited for the first stage: {result.Status}");
        Assert.Equal("done\n", result.StandardOutputText);
    }

    [Fact]
    public async Task The_timeout_is_for_the_whole_pipeline()
    {
        var policy = SystemOnly().Build();
        var result = await (new Stage(policy, ["sleep", "600"]) | new Stage(policy, ["cat"])).RunAsync(TimeSpan.FromMilliseconds(300));
        Assert.True(result.Status.TimedOut, $"expected a timeout, got {result.Status}");
        Assert.Equal(124, result.ExitCode);
    }

    [Fact]
    public async Task A_stage_that_cannot_start_fails_the_run_and_names_the_command()
    {
        var policy = SystemOnly().Build();
        var error = await Assert.ThrowsAsync<SandboxSetupException>(() =>
            (new Stage(policy, ["yes"]) | new Stage(policy, ["/nonexistent/program"])).RunAsync(Generous));
        Assert.Equal(SetupFailure.CommandNotFound, error.Failure);
        Assert.Contains("/nonexistent/program", error.Message);
    }

    [Fact]
    public async Task Every_stage_s_stderr_is_in_the_result_in_stage_order()
    {
        var policy = SystemOnly().Build();
        var result = await (new Stage(policy, ["sh", "-c", "echo first >&2; echo data"]) | new Stage(policy, ["sh", "-c", "cat; echo second >&2"]))
            .RunAsync(Generous);
        Assert.Equal("data\n", result.StandardOutputText);
        Assert.Equal("first\nsecond\n", result.StandardErrorText);
    }

    [Fact]
    public async Task Cancelling_a_pipeline_kills_its_stages()
    {
        var policy = SystemOnly().Build();
        using var cancel = new CancellationTokenSource();
        var running = (new Stage(policy, ["sleep", "600"]) | new Stage(policy, ["cat"])).RunAsync(Generous, cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    [Fact]
    public void A_pipeline_needs_two_stages()
    {
        var stage = new Stage(SystemOnly().Build(), ["true"]);
        var error = Assert.Throws<ArgumentException>(() => new Pipeline([stage]));
        Assert.Contains("at least 2 stages", error.Message);
    }
}
