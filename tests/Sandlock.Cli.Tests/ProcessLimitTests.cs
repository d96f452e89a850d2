using System.Diagnostics;
using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

/// <summary>
/// -P/--max-processes through the CLI, as root (a pids cgroup) and as an ordinary user (a user namespace with
/// RLIMIT_NPROC): the sandbox's tasks are counted from outside, through /proc.
/// </summary>
public sealed class ProcessLimitTests : IClassFixture<UnprivilegedTests.UnprivilegedCli>
{
    /// <summary>Forks sleeping children until a fork fails, reports its pid (the group) and waits for stdin to close.</summary>
    private const string CountedBomb =
        "$| = 1; my $n = 0; while (1) { my $p = fork; if (!defined $p) { print \"full $$ after $n: $!\\n\"; last } " +
        "if ($p == 0) { sleep 1000; exit 0 } $n++ } <STDIN>;";

    private readonly UnprivilegedTests.UnprivilegedCli _unprivileged;

    public ProcessLimitTests(UnprivilegedTests.UnprivilegedCli unprivileged) => _unprivileged = unprivileged;

    public static TheoryData<bool> Users => new() { false, true };

    [Theory]
    [MemberData(nameof(Users))]
    public async Task A_fork_bomb_under_P_10_stays_at_10_tasks(bool unprivileged)
    {
        string[] wrapper = unprivileged ? _unprivileged.Wrapper : [Executable];
        var info = new ProcessStartInfo(wrapper[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in wrapper.Skip(1).Concat(["run", .. SystemReads, "-P", "10", "--", "perl", "-e", CountedBomb]))
            info.ArgumentList.Add(arg);
        using var cli = Process.Start(info)!;
        var stderr = cli.StandardError.ReadToEndAsync();
        var report = await cli.StandardOutput.ReadLineAsync() ?? "";
        var tasks = report.StartsWith("full ", StringComparison.Ordinal) ? TasksInGroup(int.Parse(report.Split(' ')[1])) : -1;
        cli.StandardInput.Close();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await cli.WaitForExitAsync(limit.Token);

        Assert.EndsWith(" after 9: Resource temporarily unavailable", report);
        Assert.Equal(10, tasks);
        Assert.Equal(0, cli.ExitCode);
        // Only the cgroup keeps a count of refused forks.
        if (!unprivileged && Environment.UserName == "root") Assert.Contains("sandlock: the sandbox denied fork", await stderr);
    }

    [Fact]
    public async Task The_command_keeps_the_users_ids_and_sees_its_own_files_as_its_own()
    {
        var file = Path.Combine(_unprivileged.Work, "mine");
        var r = await _unprivileged.Run(["run", .. SystemReads, "-w", _unprivileged.Work, "-P", "10", "--", "sh", "-c", $"id -u; id -g; touch {file}; stat -c %u {file}"]);
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal(lines[0], lines[2]);
        if (Environment.UserName == "root") Assert.Equal(["65534", "65534", "65534"], lines);
    }

    [Fact]
    public async Task Check_says_which_mechanism_max_processes_uses()
    {
        var asUs = await Run("check");
        var asUser = await _unprivileged.Run("check");
        Assert.Contains(Environment.UserName == "root" ? "max_processes would use: a pids cgroup" : "max_processes would use: a user namespace", asUs.Stdout);
        Assert.Contains("max_processes would use: a user namespace with RLIMIT_NPROC", asUser.Stdout);
    }

    [Fact]
    public async Task Explain_shows_the_limit()
    {
        var r = await Run("run", "--explain", "-P", "7", "--", "true");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("process limit: 7 tasks", r.Stdout);
    }

    /// <summary>Tasks (threads included) of every process in the group.</summary>
    private static int TasksInGroup(int group) => Directory.EnumerateDirectories("/proc")
        .Select(Path.GetFileName)
        .Where(n => n!.All(char.IsAsciiDigit))
        .Sum(n =>
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{n}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                return fields[2] == group.ToString() ? Directory.GetDirectories($"/proc/{n}/task").Length : 0;
            }
            catch (IOException) { return 0; }
        });
}
