using System.Text;
using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

/// <summary>
/// max_processes, enforced by the kernel: a pids cgroup when the suite runs as root, a user namespace with
/// RLIMIT_NPROC otherwise. Tasks are counted from outside through /proc (threads included, as the kernel counts).
/// </summary>
// Counts this process's pids cgroups: no other class that makes them runs beside it.
[Collection(ProcessLimitTests.PidsCgroupsCollection)]
public sealed class ProcessLimitTests
{
    /// <summary>Classes whose sandboxes make pids cgroups, which this one counts, run one after the other.</summary>
    public const string PidsCgroupsCollection = "pids cgroups of this process";

    /// <summary>Forks sleeping children until the kernel refuses one, says so, and waits to be killed.</summary>
    private const string CountedBomb =
        "$| = 1; my $n = 0; while (1) { my $p = fork; if (!defined $p) { print \"full after $n: $!\\n\"; last } " +
        "if ($p == 0) { sleep 1000; exit 0 } $n++ } sleep 1000;";

    private static PidsHierarchy? Cgroups => KernelFeatures.Current.Privileged ? KernelFeatures.Current.PidsCgroups : null;

    /// <summary>This test process's pids cgroups that still exist.</summary>
    private static string[] OurCgroups() => Cgroups is { } h
        ? Directory.GetDirectories(h.Parent, $"sandlock-{Environment.ProcessId}-*")
        : [];

    /// <summary>A sandbox running the counted bomb, returned once the bomb has reported that a fork failed.</summary>
    private static async Task<(Sandbox Sandbox, string Report)> StartFullBomb(int max)
    {
        var report = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new StringBuilder();
        var sandbox = new Sandbox(SystemOnly().MaxProcesses(max).Build(), ["perl", "-e", CountedBomb])
        {
            Timeout = TimeSpan.FromMinutes(2),
            OnStandardOutput = chunk =>
            {
                lock (output)
                {
                    output.Append(Encoding.UTF8.GetString(chunk));
                    if (output.ToString().Contains('\n')) report.TrySetResult(output.ToString());
                }
            },
        };
        sandbox.Start();
        var finished = sandbox.WaitAsync();
        var first = await Task.WhenAny(report.Task, finished);
        if (first == finished) Assert.Fail($"the bomb ended before it filled up: {(await finished).StandardErrorText}");
        return (sandbox, await report.Task);
    }

    [Fact]
    public async Task A_fork_bomb_under_a_limit_of_10_stays_at_10_tasks_and_further_forks_fail()
    {
        var (sandbox, report) = await StartFullBomb(10);
        await using (sandbox)
        {
            Assert.Equal("full after 9: Resource temporarily unavailable\n", report);
            Assert.Equal(10, Procfs.TasksInGroup(sandbox.Pid!.Value));
            if (Cgroups is not null)
                Assert.Equal("10", File.ReadAllText(Path.Combine(Assert.Single(OurCgroups()), "pids.current")).Trim());
            sandbox.Kill();
            var result = await sandbox.WaitAsync();
            Assert.True(result.Status.Killed);
            // pids.events tells how many forks the cgroup refused; RLIMIT_NPROC leaves no such record.
            if (Cgroups is not null) Assert.Contains(result.Denials, d => d.Syscall == "fork" && d.Rule.StartsWith("max_processes 10: ", StringComparison.Ordinal));
        }
        Assert.Empty(OurCgroups());
    }

    [Fact]
    public async Task A_recursive_fork_bomb_never_gets_past_the_limit()
    {
        // Every task forks for ever; a refused fork backs off a little so the machine stays usable.
        var policy = SystemOnly().MaxProcesses(10).Build();
        await using var sandbox = new Sandbox(policy, ["perl", "-e", "while (1) { defined(fork) or select(undef, undef, undef, 0.01) }"])
        {
            Timeout = TimeSpan.FromMinutes(2),
        };
        sandbox.Start();
        var group = sandbox.Pid!.Value;
        var finished = sandbox.WaitAsync();
        while (Procfs.TasksInGroup(group) < 10)
        {
            if (finished.IsCompleted) Assert.Fail($"the bomb ended: {(await finished).StandardErrorText}");
            await Task.Yield();
        }
        var samples = Enumerable.Range(0, 100).Select(_ => Procfs.TasksInGroup(group)).ToList();
        Assert.All(samples, count => Assert.True(count <= 10, $"{count} tasks"));
        sandbox.Kill();
        await finished;
    }

    [Fact]
    public async Task Children_under_the_limit_run_normally()
    {
        var result = await Sh(SystemOnly().MaxProcesses(10), "sleep 0.1 & sleep 0.1 & sleep 0.1 & wait; echo done");
        AssertSucceeded(result);
        Assert.Equal("done\n", result.StandardOutputText);
        Assert.Empty(result.Denials);
        Assert.Empty(OurCgroups());
    }

    [Fact]
    public async Task Each_sandbox_counts_only_its_own_tasks()
    {
        // This test process (same user, dozens of threads) and a second full sandbox do not count against the first.
        var (first, firstReport) = await StartFullBomb(10);
        await using (first)
        {
            var (second, secondReport) = await StartFullBomb(10);
            await using (second)
            {
                Assert.Equal("full after 9: Resource temporarily unavailable\n", firstReport);
                Assert.Equal("full after 9: Resource temporarily unavailable\n", secondReport);
                Assert.Equal(10, Procfs.TasksInGroup(first.Pid!.Value));
                Assert.Equal(10, Procfs.TasksInGroup(second.Pid!.Value));
            }
        }
        Assert.Empty(OurCgroups());
    }

    [Fact]
    public async Task Shell_pipelines_under_a_limit_run_reliably()
    {
        // Forks are not held by the supervisor, so no fork can fail with EINTR; half the runs are supervised.
        for (var i = 0; i < 50; i++)
        {
            var policy = SystemOnly().MaxProcesses(20);
            if (i % 2 == 1) policy.Name("box");
            var result = await Sh(policy, "seq 100 | grep 5 | sort -r | head -n 3 | wc -l");
            AssertSucceeded(result);
            Assert.Equal("3\n", result.StandardOutputText);
        }
        Assert.Empty(OurCgroups());
    }

    [Fact]
    public async Task The_command_keeps_its_ids()
    {
        var result = await Sh(SystemOnly().MaxProcesses(10), "id -u; id -g");
        AssertSucceeded(result);
        Assert.Equal($"{Interop.SystemInfo.EffectiveUserId()}\n{Interop.SystemInfo.EffectiveGroupId()}\n", result.StandardOutputText);
    }

    [Fact]
    public async Task No_cgroup_outlives_a_failed_start_a_timeout_a_kill_or_a_process_that_left_the_group()
    {
        // Exec is refused by Landlock (no read access to /usr): the start fails after the cgroup was made.
        var noExec = new SandboxPolicyBuilder().FsRead("/tmp").MaxProcesses(10).Build();
        await Assert.ThrowsAsync<SandboxSetupException>(() => Run(noExec, "/usr/bin/true"));
        Assert.Empty(OurCgroups());

        var timedOut = await Sandbox.RunAsync(SystemOnly().MaxProcesses(10).Build(), ["sleep", "30"], TimeSpan.FromMilliseconds(200));
        Assert.True(timedOut.Status.TimedOut);
        Assert.Empty(OurCgroups());

        await using (var killed = new Sandbox(SystemOnly().MaxProcesses(10).Build(), ["sleep", "30"]))
        {
            killed.Start();
            killed.Kill();
            Assert.True((await killed.WaitAsync()).Status.Killed);
        }
        Assert.Empty(OurCgroups());

        var left = await Sh(SystemOnly().MaxProcesses(10), "setsid sleep 1000 > /dev/null 2>&1 & echo $!");
        var straggler = int.Parse(left.StandardOutputText);
        try
        {
            Assert.Empty(OurCgroups());
            // Its own session took it out of the process group; the cgroup still held it, and it was killed.
            if (Cgroups is not null) Assert.Contains(Procfs.State(straggler), new[] { "gone", "Z" });
        }
        finally
        {
            if (Procfs.State(straggler) is not ("gone" or "Z")) System.Diagnostics.Process.GetProcessById(straggler).Kill();
        }
    }

    [Fact]
    public void Without_a_usable_mechanism_the_sandbox_refuses_to_start()
    {
        var policy = new SandboxPolicyBuilder().MaxProcesses(10).Build();
        var kernel = KernelFeatures.Current with { Privileged = true, PidsCgroups = null };
        var asRoot = Assert.Throws<SandboxSetupException>(() => ConfinementPlan.Create(policy, kernel));
        Assert.Contains("pids controller", asRoot.Message);
        kernel = KernelFeatures.Current with { Privileged = false, UnprivilegedUserNamespaces = false };
        var asUser = Assert.Throws<SandboxSetupException>(() => ConfinementPlan.Create(policy, kernel));
        Assert.Contains("user namespaces", asUser.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void A_limit_below_one_is_refused_naming_the_source(int max)
    {
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().MaxProcesses(max, "--max-processes").Build());
        Assert.Contains("--max-processes", error.Message);
        Assert.Contains("at least 1", error.Message);
    }
}
