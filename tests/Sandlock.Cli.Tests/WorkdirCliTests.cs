using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

/// <summary>
/// <c>sandlock run --workdir D</c>: the command's changes to D are applied only when it succeeds (on_exit commit,
/// on_error abort by default), <c>--dry-run</c> lists them and keeps none, <c>--max-disk</c> bounds them.
/// </summary>
public sealed class WorkdirCliTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("sandlock-cli-workdir-").FullName;
    private readonly string _storage = Directory.CreateTempSubdirectory("sandlock-cli-layers-").FullName;

    public WorkdirCliTests()
    {
        File.WriteAllText(Path.Combine(_work, "b"), "old b\n");
        File.WriteAllText(Path.Combine(_work, "c"), "c\n");
    }

    public void Dispose()
    {
        Directory.Delete(_work, true);
        Directory.Delete(_storage, true);
    }

    private string D(string name) => Path.Combine(_work, name);

    private Task<Outcome> RunIn(params string[] args) =>
        Run(["run", .. SystemReads, "-w", _work, "--workdir", _work, "--fs-storage", _storage, .. args]);

    private string[] Listing() => [.. Directory.EnumerateFileSystemEntries(_work).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    [Fact]
    public async Task A_failing_command_leaves_the_folder_exactly_as_it_was()
    {
        var r = await RunIn("--", "sh", "-c", $"echo new > {D("a")}; rm {D("b")}; exit 1");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal(["b", "c"], Listing());
        Assert.Equal("old b\n", File.ReadAllText(D("b")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_storage));
    }

    [Fact]
    public async Task A_succeeding_command_has_its_changes_committed()
    {
        var r = await RunIn("--", "sh", "-c", $"echo new > {D("a")}; rm {D("b")}; exit 0");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(["a", "c"], Listing());
        Assert.Equal("new\n", File.ReadAllText(D("a")));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_storage));
    }

    [Fact]
    public async Task Dry_run_runs_the_command_lists_the_changes_and_keeps_none()
    {
        var r = await RunIn("--dry-run", "--", "sh", "-c", $"echo ran; echo new > {D("a")}; rm {D("b")}; echo more >> {D("c")}");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal($"ran\nA {D("a")}\nD {D("b")}\nM {D("c")}\n", r.Stdout);
        Assert.Equal(["b", "c"], Listing());
        Assert.Equal("c\n", File.ReadAllText(D("c")));
    }

    [Fact]
    public async Task Dry_run_without_a_workdir_points_at_explain()
    {
        var r = await Run("run", "--dry-run", "--", "true");
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("--workdir", r.Stderr);
        Assert.Contains("--explain", r.Stderr);
    }

    [Fact]
    public async Task A_write_past_max_disk_gets_ENOSPC_and_nothing_is_committed()
    {
        var r = await RunIn("--max-disk", "1M", "--", "sh", "-c", $"echo small > {D("small")}; head -c 5000000 /dev/zero > {D("big")}");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("No space left on device", r.Stderr);
        Assert.Contains("max_disk 1M", r.Stderr);
        Assert.Equal(["b", "c"], Listing());
    }

    [Fact]
    public async Task Keep_says_where_the_changes_are()
    {
        var r = await RunIn("--on-error", "keep", "--", "sh", "-c", $"echo new > {D("a")}; exit 2");
        Assert.Equal(2, r.ExitCode);
        var kept = r.Stderr.Split('\n').Single(l => l.StartsWith("sandlock: the changes to ", StringComparison.Ordinal))[($"sandlock: the changes to {_work} are kept in ").Length..];
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(kept, "upper", "a")));
        Assert.Equal(["b", "c"], Listing());
    }
}
