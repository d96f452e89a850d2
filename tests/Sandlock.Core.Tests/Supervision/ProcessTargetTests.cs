using System.Diagnostics;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

/// <summary>
/// Calls that act on another process (limits, nice, scheduling, affinity, I/O priority, robust lists, pidfds) reach
/// only the sandbox's own processes: not a host process, not the supervisor; its own threads by tid still work.
/// </summary>
public sealed class ProcessTargetTests(ProcessTargetTests.Program program) : IClassFixture<ProcessTargetTests.Program>
{
    /// <summary>targets.c, in a folder the sandboxes may read.</summary>
    public sealed class Program : IDisposable
    {
        private readonly TempDir _dir = new();

        public Program() => Path = CPrograms.Build("Supervision/targets.c", _dir["targets"], flags: "-pthread");

        public string Path { get; }

        public SandboxPolicyBuilder Policy() => SystemOnly().FsRead(_dir.Path);

        public void Dispose() => _dir.Dispose();
    }

    private static readonly string[] ActingCalls =
        ["prlimit64-read", "setpriority", "sched_setaffinity", "sched_setscheduler", "sched_setparam", "ioprio_set", "get_robust_list", "pidfd_open"];

    private static Dictionary<string, string> Outcomes(SandboxResult result) => result.StandardOutputText
        .Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(line => line.Split(' ', 2))
        .GroupBy(parts => parts[0])
        .ToDictionary(g => g.Key, g => string.Join(",", g.Select(parts => parts[1]).Distinct()));

    [Fact]
    public async Task A_host_process_cannot_have_its_limits_priority_affinity_or_io_priority_changed()
    {
        using var sleep = Process.Start("sleep", "120");
        try
        {
            var limitsBefore = File.ReadAllText($"/proc/{sleep.Id}/limits");
            var result = await Run(program.Policy(), program.Path, "outside", sleep.Id.ToString());
            AssertSucceeded(result);
            var outcomes = Outcomes(result);
            foreach (var call in ActingCalls) Assert.Equal("ESRCH", outcomes.GetValueOrDefault(call));
            Assert.Equal(limitsBefore, File.ReadAllText($"/proc/{sleep.Id}/limits"));
            Assert.Contains(result.Denials, d => d.Syscall == "sched_setaffinity" && d.Target == $"process {sleep.Id}");
        }
        finally
        {
            sleep.Kill();
        }
    }

    [Fact]
    public async Task The_supervisor_and_its_process_group_are_out_of_reach()
    {
        var supervisor = Environment.ProcessId;
        var result = await Run(program.Policy(), program.Path, "outside", supervisor.ToString());
        AssertSucceeded(result);
        var outcomes = Outcomes(result);
        foreach (var call in ActingCalls) Assert.Equal("ESRCH", outcomes.GetValueOrDefault(call));

        var group = await Run(program.Policy(), program.Path, "outside-group", OwnProcessGroup().ToString());
        AssertSucceeded(group);
        Assert.Equal("ESRCH", Outcomes(group)["setpriority-pgrp"]);
        Assert.Equal("ESRCH", Outcomes(group)["ioprio_set-pgrp"]);
    }

    [Fact]
    public async Task Every_process_of_the_user_is_refused_as_a_target()
    {
        var result = await Run(program.Policy(), program.Path, "user");
        AssertSucceeded(result);
        Assert.Equal("EPERM", Outcomes(result)["setpriority-user"]);
        Assert.Equal("EPERM", Outcomes(result)["ioprio_set-user"]);
    }

    [Fact]
    public async Task Own_threads_by_tid_a_child_and_the_own_group_still_work()
    {
        var result = await Run(program.Policy(), program.Path, "own");
        AssertSucceeded(result);
        var failed = Outcomes(result).Where(o => o.Value != "ok").ToList();
        Assert.True(failed.Count == 0, $"failed: {string.Join("; ", failed)}\n{result.StandardOutputText}");
        Assert.Contains("pthread_setaffinity_np ok", result.StandardOutputText);
        Assert.Contains("setpriority-pgrp ok", result.StandardOutputText);
        Assert.Empty(result.Denials);
    }

    [Fact]
    public async Task Without_a_supervisor_the_filter_refuses_any_target_but_the_caller()
    {
        var result = await Run(program.Policy().NoSupervisor(), program.Path, "own");
        AssertSucceeded(result);
        var outcomes = Outcomes(result);
        Assert.Equal("EPERM", outcomes["pthread_setaffinity_np"]);
        Assert.Equal("EPERM", outcomes["setpriority-lower"]);

        using var sleep = Process.Start("sleep", "120");
        try
        {
            var outside = await Run(program.Policy().NoSupervisor(), program.Path, "outside", sleep.Id.ToString());
            foreach (var call in ActingCalls) Assert.Equal("EPERM", Outcomes(outside).GetValueOrDefault(call));
        }
        finally
        {
            sleep.Kill();
        }
        // The caller itself (pid 0) is no target: nice and taskset on oneself keep working.
        AssertSucceeded(await Sh(SystemOnly().NoSupervisor(), "nice -n 3 true && taskset 1 true"));
    }

    [Fact]
    public async Task A_dotnet_program_starts_and_runs_under_the_default_policy()
    {
        var result = await Run(DotnetPrograms.Policy(), DotnetPrograms.Command("time"));
        AssertSucceeded(result);
        Assert.Empty(result.Denials);
    }

    private static int OwnProcessGroup() =>
        int.Parse(File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]);
}
