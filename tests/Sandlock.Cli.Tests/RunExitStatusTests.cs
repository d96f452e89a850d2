using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

public sealed class RunExitStatusTests
{
    [Fact]
    public async Task The_commands_own_exit_code_is_returned()
    {
        var r = await Run("run", "--", "sh", "-c", "exit 7");
        Assert.Equal(7, r.ExitCode);
    }

    [Fact]
    public async Task A_signal_becomes_128_plus_its_number()
    {
        var r = await Run("run", "--", "sh", "-c", "kill -KILL $$");
        Assert.Equal(137, r.ExitCode);
    }

    [Fact]
    public async Task A_timeout_exits_124_and_leaves_nothing_behind()
    {
        var marker = $"3{Random.Shared.Next(100, 999)}";
        var r = await Run("run", "-t", "1", "--", "sh", "-c", $"sleep {marker} & sleep {marker}");
        Assert.Equal(124, r.ExitCode);
        Assert.DoesNotContain(Directory.EnumerateDirectories("/proc"), d =>
        {
            try { return File.ReadAllText(Path.Combine(d, "cmdline")) == $"sleep\0{marker}\0"; }
            catch (IOException) { return false; }
        });
    }

    [Fact]
    public async Task A_missing_command_exits_127_and_an_unexecutable_one_126()
    {
        var missing = await Run("run", "--", "definitely-not-a-command");
        Assert.Equal(127, missing.ExitCode);
        Assert.StartsWith("sandlock: ", missing.Stderr);
        var denied = await Run(["run", .. SystemReads, "--", "/etc/hostname"]);
        Assert.Equal(126, denied.ExitCode);
    }

    [Fact]
    public async Task A_program_outside_the_read_paths_exits_126()
    {
        var r = await Run("run", "-r", "/usr", "-r", "/lib", "--", "/bin/true");
        // /bin is a symlink into /usr on merged-usr systems, where this is allowed.
        Assert.Equal(new FileInfo("/bin").LinkTarget is null ? 126 : 0, r.ExitCode);
    }

    [Fact]
    public async Task The_parent_dying_kills_the_sandbox()
    {
        var marker = $"4{Random.Shared.Next(100, 999)}";
        var cli = System.Diagnostics.Process.Start(Executable, ["run", "--", "sleep", marker]);
        bool SleepRunning() => Directory.EnumerateDirectories("/proc").Any(d =>
        {
            try { return File.ReadAllText(Path.Combine(d, "cmdline")) == $"sleep\0{marker}\0"; }
            catch (IOException) { return false; }
        });
        Assert.True(SpinWait.SpinUntil(SleepRunning, TimeSpan.FromSeconds(30)));
        cli.Kill();
        await cli.WaitForExitAsync();
        Assert.True(SpinWait.SpinUntil(() => !SleepRunning(), TimeSpan.FromSeconds(30)));
    }
}

public sealed class InteractiveTests
{
    [Fact]
    public async Task A_command_on_a_terminal_can_read_it_and_the_terminal_comes_back()
    {
        // script(1) gives sandlock a pseudo-terminal as its controlling terminal, as an interactive shell would.
        var inner = $"{CliRunner.Executable} run -i -- sh -c 'read x; echo got $x'; echo first=$?; {CliRunner.Executable} run -- sh -c 'exit 3'; echo second=$?";
        var info = new System.Diagnostics.ProcessStartInfo("script", ["-qec", inner, "/dev/null"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        using var script = System.Diagnostics.Process.Start(info)!;
        var output = script.StandardOutput.ReadToEndAsync();
        await Task.Delay(500);
        await script.StandardInput.WriteLineAsync("hello");
        await script.StandardInput.FlushAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await script.WaitForExitAsync(limit.Token);
        var text = (await output).Replace("\r", "");
        Assert.Contains("got hello\n", text);
        Assert.Contains("first=0\n", text);
        Assert.Contains("second=3\n", text);
    }
}
