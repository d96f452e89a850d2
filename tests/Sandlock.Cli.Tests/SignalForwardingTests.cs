using System.Diagnostics;
using System.Globalization;

namespace Sandlock.Tests;

/// <summary>
/// Signals sent to <c>sandlock run</c> go to the command, and the command's exit is sandlock's: a command that handles
/// one finishes as it chooses. A repro check, which has no one command to pass them to, stops on them; killed outright,
/// it leaves its folder to the next sweep.
/// </summary>
public sealed class SignalForwardingTests
{
    [Fact]
    public async Task A_command_that_handles_a_terminating_signal_finishes_as_it_chooses()
    {
        using var cli = Start(null, "run", "--", "sh", "-c", "trap 'echo handled; exit 5' TERM; echo ready; while :; do sleep 0.05; done");
        try
        {
            await ReadUntil(cli, "ready");
            Send(cli, "TERM");
            var rest = await cli.StandardOutput.ReadToEndAsync();
            await WaitForExit(cli);
            Assert.Equal(5, cli.ExitCode);
            Assert.Contains("handled", rest);
        }
        finally
        {
            EndIfRunning(cli);
        }
    }

    [Theory]
    [InlineData("INT", 130)]
    [InlineData("TERM", 143)]
    [InlineData("HUP", 129)]
    public async Task A_command_ended_by_a_passed_signal_makes_sandlock_exit_128_plus_its_number(string signal, int expected)
    {
        using var cli = Start(null, "run", "--", "sh", "-c", "echo ready; exec sleep 60");
        try
        {
            await ReadUntil(cli, "ready");
            Send(cli, signal);
            await WaitForExit(cli);
            Assert.Equal(expected, cli.ExitCode);
        }
        finally
        {
            EndIfRunning(cli);
        }
    }

    [Fact]
    public async Task An_interrupted_repro_check_ends_its_run_exits_130_and_leaves_no_folder()
    {
        // Killed by the signal instead, sandlock would also exit 130, and its runs would die with it: only an orderly
        // end removes the backup folder.
        await WithReproCheck(async (cli, temp) =>
        {
            Send(cli, "INT");
            await WaitForExit(cli);
            Assert.Equal(130, cli.ExitCode);
            Assert.Empty(temp.EnumerateDirectories("sandlock-repro-*"));
        });
    }

    [Fact]
    public async Task A_killed_repro_checks_folder_is_left_to_the_next_sweep()
    {
        await WithReproCheck(async (cli, temp) =>
        {
            cli.Kill();
            await WaitForExit(cli);
            Assert.NotEmpty(temp.EnumerateDirectories("sandlock-repro-*"));
            Assert.Equal(1, Sandlock.Interop.TempFolderOwnership.Sweep(temp.FullName));
            Assert.Empty(temp.EnumerateFileSystemInfos("sandlock-repro-*"));
        });
    }

    /// <summary>
    /// A repro check of a sleep, in a temp directory of its own (where it keeps its backup folder), once its first run
    /// sleeps; afterwards the sleep must be gone.
    /// </summary>
    private static async Task WithReproCheck(Func<Process, DirectoryInfo, Task> test)
    {
        var marker = $"5{Random.Shared.Next(100, 999)}";
        var temp = Directory.CreateTempSubdirectory("sandlock-signal-test-");
        using var cli = Start(temp.FullName, "run", "--repro-check", "3", "--", "sleep", marker);
        try
        {
            Assert.True(SpinWait.SpinUntil(() => SleepRunning(marker), TimeSpan.FromSeconds(30)));
            Assert.NotEmpty(temp.EnumerateDirectories("sandlock-repro-*"));
            await test(cli, temp);
            Assert.True(SpinWait.SpinUntil(() => !SleepRunning(marker), TimeSpan.FromSeconds(30)));
        }
        finally
        {
            EndIfRunning(cli);
            temp.Delete(recursive: true);
        }
    }

    private static Process Start(string? temp, params string[] args)
    {
        var info = new ProcessStartInfo(CliRunner.Executable) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        if (temp is not null) info.Environment["TMPDIR"] = temp;
        var process = Process.Start(info)!;
        process.StandardInput.Close();
        return process;
    }

    private static async Task ReadUntil(Process process, string line)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (await process.StandardOutput.ReadLineAsync(limit.Token) is { } read)
            if (read == line) return;
        Assert.Fail($"sandlock ended (exit {process.ExitCode}) before the command printed '{line}'");
    }

    private static void Send(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    private static async Task WaitForExit(Process process)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail("sandlock did not end within a minute of the signal");
        }
    }

    /// <summary>A failed test leaves no sandlock behind.</summary>
    private static void EndIfRunning(Process process)
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
    }

    private static bool SleepRunning(string marker) => Directory.EnumerateDirectories("/proc").Any(d =>
    {
        try { return File.ReadAllText(Path.Combine(d, "cmdline")) == $"sleep\0{marker}\0"; }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    });
}
