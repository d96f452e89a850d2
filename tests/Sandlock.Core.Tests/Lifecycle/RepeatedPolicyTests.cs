using System.Globalization;
using Sandlock.Lifecycle;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Procfs;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Lifecycle;

/// <summary>
/// One-shot sandboxes of a policy object started again and again get their child confined ahead, as a session's
/// commands do: each is still confined and supervised as its own sandbox (its own seeded stream and clock, its own
/// denials), and a policy started once, or no more, keeps no waiting child.
/// </summary>
public sealed class RepeatedPolicyTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly TimeSpan _idleLifetime = RepeatedPolicies.IdleLifetime;

    // Long enough that a loaded machine's slow start does not see the waiting child ended before it is looked at;
    // the test of the ending sets it short again.
    public RepeatedPolicyTests() => RepeatedPolicies.IdleLifetime = TimeSpan.FromMinutes(1);

    public void Dispose()
    {
        RepeatedPolicies.IdleLifetime = _idleLifetime;
        _dir.Dispose();
    }

    private static Task<SandboxResult> Run(SandboxPolicy policy, params string[] command) =>
        Sandbox.RunAsync(policy, command, TimeSpan.FromSeconds(60));

    private static Task<PreparedChild> Waiting(SandboxPolicy policy) => PreparedChildTests.Made(RepeatedPolicies.NextFor(policy));

    [Fact]
    public async Task A_repeated_start_runs_in_the_waiting_child_confined_and_supervised_as_its_own()
    {
        _dir.Write("secret", "s3cret\n");
        _dir.Write("allowed/file", "allowed\n");
        var policy = SystemOnly().FsRead(_dir["allowed"]).NetAllow("127.0.0.1:1").Build();
        AssertSucceeded(await Run(policy, "true"));
        Assert.Null(RepeatedPolicies.NextFor(policy));
        AssertSucceeded(await Run(policy, "true"));
        for (var i = 0; i < 3; i++)
        {
            var waiting = await Waiting(policy);
            var result = await Run(policy, "bash", "-c",
                $"cat {_dir["allowed/file"]}; cat {_dir["secret"]} && echo LEAK; echo x > /dev/tcp/127.0.0.2/80 && echo LEAK; echo $$");
            Assert.Contains($"{waiting.Pid}\n", result.StandardOutputText);
            Assert.Contains("allowed", result.StandardOutputText);
            Assert.DoesNotContain("LEAK", result.StandardOutputText);
            Assert.Contains("Permission denied", result.StandardErrorText);
            // This sandbox's own supervisor held the connect and reports it, once.
            Assert.Single(result.Denials, d => d.Target.Contains("127.0.0.2", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Each_start_in_a_waiting_child_draws_the_seeded_stream_and_reads_the_clock_from_their_start()
    {
        var start = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);
        var policy = SystemOnly().RandomSeed(42).TimeStart(start).Build();
        var outputs = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            var waiting = i >= 2 ? await Waiting(policy) : null;
            var run = System.Diagnostics.Stopwatch.StartNew();
            var result = await Run(policy, "sh", "-c", "head -c 16 /dev/urandom | od -An -tx1; date -u +%s%N; echo $$");
            run.Stop();
            AssertSucceeded(result);
            var lines = result.StandardOutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            outputs.Add(lines[0].Trim());
            // Each sandbox's clock starts at time_start when it starts: it cannot have run longer than this start did
            // (a clock going on from the sandboxes before would have).
            var seen = TimeSpan.FromTicks((long.Parse(lines[1], CultureInfo.InvariantCulture) - start.ToUnixTimeMilliseconds() * 1_000_000) / 100);
            Assert.InRange(seen, TimeSpan.Zero, run.Elapsed);
            if (waiting is not null) Assert.Equal(waiting.Pid.ToString(CultureInfo.InvariantCulture), lines[2]);
        }
        Assert.Single(outputs.Distinct());
    }

    [Fact]
    public async Task A_waiting_child_not_taken_ends_after_the_idle_lifetime()
    {
        // Long enough to see the child before it ends on a loaded machine.
        RepeatedPolicies.IdleLifetime = TimeSpan.FromSeconds(5);
        var policy = SystemOnly().Build();
        AssertSucceeded(await Run(policy, "true"));
        AssertSucceeded(await Run(policy, "true"));
        var waiting = await Waiting(policy);
        Assert.True(Alive(waiting.Pid));
        await WaitUntil(() => !Alive(waiting.Pid));
        Assert.Null(RepeatedPolicies.NextFor(policy));
        // The next start runs the ordinary way and prepares again.
        RepeatedPolicies.IdleLifetime = TimeSpan.FromMinutes(1);
        var result = await Run(policy, "sh", "-c", "echo started");
        Assert.Equal("started\n", result.StandardOutputText);
        Assert.True(Alive((await Waiting(policy)).Pid));
    }

    [Fact]
    public async Task A_repeating_policy_keeps_its_count_while_many_policies_start_once_in_between()
    {
        // A test host builds a policy per test; the policy a server repeats is still seen to repeat.
        var repeating = SystemOnly().Build();
        AssertSucceeded(await Run(repeating, "true"));
        for (var i = 0; i < 20; i++) AssertSucceeded(await Run(SystemOnly().Build(), "true"));
        AssertSucceeded(await Run(repeating, "true"));
        var waiting = await Waiting(repeating);
        var result = await Run(repeating, "sh", "-c", "echo $$");
        Assert.Equal($"{waiting.Pid}\n", result.StandardOutputText);
    }

    [Fact]
    public async Task A_waiting_child_killed_from_outside_does_not_fail_the_next_start()
    {
        var policy = SystemOnly().Build();
        AssertSucceeded(await Run(policy, "true"));
        AssertSucceeded(await Run(policy, "true"));
        var waiting = await Waiting(policy);
        System.Diagnostics.Process.GetProcessById(waiting.Pid).Kill();
        await WaitUntil(() => !Alive(waiting.Pid));
        var result = await Run(policy, "sh", "-c", "echo started");
        AssertSucceeded(result);
        Assert.Equal("started\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Policies_whose_rules_are_made_per_start_or_that_set_up_per_start_get_no_waiting_child()
    {
        _dir.Write("tree/hidden", "x\n");
        // Denied paths carve the tree by what it holds now; max_processes makes a cgroup or namespace per start.
        var carved = SystemOnly().FsRead(_dir["tree"]).FsDeny(_dir["tree/hidden"]).Build();
        var limited = SystemOnly().MaxProcesses(20).Build();
        foreach (var policy in new[] { carved, limited })
        {
            for (var i = 0; i < 3; i++) AssertSucceeded(await Run(policy, "true"));
            Assert.Null(RepeatedPolicies.NextFor(policy));
        }
    }
}
