using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Lifecycle;

public sealed class LifecycleTests
{
    private static readonly SandboxPolicy Policy = SystemOnly().Build();

    [Fact]
    public async Task The_exit_code_comes_back()
    {
        var result = await Run(Policy, "sh", "-c", "exit 7");
        Assert.Equal(7, result.ExitCode);
        Assert.Equal(7, result.Status.Code);
    }

    [Fact]
    public async Task A_signal_death_is_reported_as_the_signal()
    {
        var result = await Run(Policy, "sh", "-c", "kill -TERM $$");
        Assert.Equal(15, result.Status.Signal);
        Assert.Equal(143, result.ExitCode);
    }

    [Fact]
    public async Task Output_is_captured_completely_and_separately()
    {
        var result = await Run(Policy, "sh", "-c", "head -c 1048576 /dev/zero | tr '\\0' a; echo err >&2");
        Assert.Equal(1 << 20, result.StandardOutput.Length);
        Assert.Equal("err\n", result.StandardErrorText);
    }

    [Fact]
    public async Task A_timeout_kills_the_whole_process_group()
    {
        await using var sandbox = new Sandbox(Policy, ["sh", "-c", "sleep 30 & sleep 30; wait"]) { Timeout = TimeSpan.FromMilliseconds(300) };
        sandbox.Start();
        var result = await sandbox.WaitAsync();
        Assert.True(result.Status.TimedOut);
        Assert.Equal(124, result.ExitCode);
        Assert.False(Procfs.GroupAlive(sandbox.Pid!.Value));
    }

    [Fact]
    public async Task Cancellation_kills_the_sandbox_and_reports_cancellation()
    {
        await using var sandbox = new Sandbox(Policy, ["sleep", "30"]);
        sandbox.Start();
        using var cancel = new CancellationTokenSource();
        var wait = sandbox.WaitAsync(cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
        Assert.False(Procfs.GroupAlive(sandbox.Pid!.Value));
    }

    [Fact]
    public async Task Kill_ends_every_process_and_is_reported()
    {
        await using var sandbox = new Sandbox(Policy, ["sh", "-c", "sleep 30 & sleep 30"]);
        sandbox.Start();
        sandbox.Kill();
        var result = await sandbox.WaitAsync();
        Assert.True(result.Status.Killed);
        Assert.Equal(9, result.Status.Signal);
        Assert.False(Procfs.GroupAlive(sandbox.Pid!.Value));
    }

    [Fact]
    public async Task Pause_stops_the_group_and_resume_continues_it()
    {
        await using var sandbox = new Sandbox(Policy, ["sleep", "30"]);
        sandbox.Start();
        var pid = sandbox.Pid!.Value;
        sandbox.Pause();
        SpinWait.SpinUntil(() => Procfs.State(pid) == "T", TimeSpan.FromSeconds(10));
        Assert.Equal("T", Procfs.State(pid));
        sandbox.Resume();
        SpinWait.SpinUntil(() => Procfs.State(pid) != "T", TimeSpan.FromSeconds(10));
        Assert.NotEqual("T", Procfs.State(pid));
        sandbox.Kill();
        Assert.True((await sandbox.WaitAsync()).Status.Killed);
    }

    [Fact]
    public async Task Disposing_a_running_sandbox_kills_its_tree()
    {
        int pid;
        await using (var sandbox = new Sandbox(Policy, ["sh", "-c", "sleep 30 & sleep 30"]))
        {
            sandbox.Start();
            pid = sandbox.Pid!.Value;
        }
        Assert.False(Procfs.GroupAlive(pid));
    }

    [Fact]
    public async Task Processes_that_leave_the_group_are_still_killed()
    {
        var marker = $"31.{Random.Shared.Next(100, 999)}";
        IEnumerable<string> Escapees() => Directory.EnumerateDirectories("/proc").Where(d =>
        {
            try { return File.ReadAllText(Path.Combine(d, "cmdline")) == $"sleep\0{marker}\0"; }
            catch (IOException) { return false; }
        });
        await using (var sandbox = new Sandbox(Policy, ["sh", "-c", $"setsid sleep {marker} & sleep 30"]))
        {
            sandbox.Start();
            Assert.True(SpinWait.SpinUntil(() => Escapees().Any(), TimeSpan.FromSeconds(30)));
        }
        Assert.True(SpinWait.SpinUntil(() => !Escapees().Any(), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task No_descriptor_of_the_parent_leaks_into_the_child()
    {
        using var open = File.OpenHandle("/etc/hostname");
        var result = await Run(SystemOnly().FsRead("/proc"), "ls", "/proc/self/fd");
        AssertSucceeded(result);
        // ls holds one fd of its own for the directory it lists.
        Assert.Equal(["0", "1", "2", "3"], result.StandardOutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_missing_command_and_an_unexecutable_one_are_told_apart()
    {
        var missing = await Assert.ThrowsAsync<SandboxSetupException>(() => Run(Policy, "no-such-command-here"));
        Assert.Equal(SetupFailure.CommandNotFound, missing.Failure);
        var notExecutable = await Assert.ThrowsAsync<SandboxSetupException>(() => Run(Policy, "/etc/hostname"));
        Assert.Equal(SetupFailure.CommandNotExecutable, notExecutable.Failure);
        var absentPath = await Assert.ThrowsAsync<SandboxSetupException>(() => Run(Policy, "/nonexistent/tool"));
        Assert.Equal(SetupFailure.CommandNotFound, absentPath.Failure);
    }

    [Fact]
    public void An_empty_command_is_refused()
    {
        Assert.Throws<SandboxSetupException>(() => new Sandbox(Policy, []));
        Assert.Throws<SandboxSetupException>(() => new Sandbox(Policy, [""]));
    }

    [Fact]
    public async Task Create_start_and_wait_are_separate_steps()
    {
        await using var sandbox = new Sandbox(Policy, ["sh", "-c", "echo $$"]);
        Assert.Null(sandbox.Pid);
        await Assert.ThrowsAsync<InvalidOperationException>(() => sandbox.WaitAsync());
        sandbox.Start();
        Assert.Throws<InvalidOperationException>(() => sandbox.Start());
        var result = await sandbox.WaitAsync();
        Assert.Equal($"{sandbox.Pid}\n", result.StandardOutputText);
        Assert.Equal(sandbox.Pid, result.Pid);
    }

    [Fact]
    public async Task Many_sandboxes_run_concurrently()
    {
        var runs = Enumerable.Range(0, 20).Select(i => Run(Policy, "sh", "-c", $"echo {i}; exit {i % 3}"));
        var results = await Task.WhenAll(runs);
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal($"{i}\n", results[i].StandardOutputText);
            Assert.Equal(i % 3, results[i].ExitCode);
        }
    }
}

public sealed class OutputStreamingTests
{
    [Fact]
    public async Task Output_observers_see_every_byte_as_it_arrives()
    {
        var seen = new System.Collections.Concurrent.ConcurrentQueue<byte[]>();
        await using var sandbox = new Sandbox(SystemOnly().Build(), ["sh", "-c", "echo one; sleep 0.2; echo two; echo err >&2"])
        {
            OnStandardOutput = chunk => seen.Enqueue(chunk.ToArray()),
            OnStandardError = chunk => seen.Enqueue(chunk.ToArray()),
        };
        sandbox.Start();
        var result = await sandbox.WaitAsync();
        Assert.Equal("one\ntwo\n", result.StandardOutputText);
        Assert.Equal(result.StandardOutput.Length + result.StandardError.Length, seen.Sum(c => c.Length));
        Assert.True(seen.Count >= 2);
    }
}
