using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Workspaces;

/// <summary>Several sandboxed commands over one workdir, each with its own policy, committed together or not at all.</summary>
public sealed class WorkspaceTransactionTests : IDisposable
{
    private readonly TempDir _work = new();
    private readonly TempDir _storage = new();

    public WorkspaceTransactionTests()
    {
        _work.Write("input.txt", "1\n");
        File.SetUnixFileMode(_work["input.txt"], (UnixFileMode)0b110_110_110);
    }

    public void Dispose()
    {
        _work.Dispose();
        _storage.Dispose();
    }

    private SandboxPolicy Stage(Func<SandboxPolicyBuilder, SandboxPolicyBuilder>? more = null) =>
        (more ?? (b => b))(SystemOnly().Workdir(_work.Path).Cwd(_work.Path)).Build();

    [Fact]
    public async Task Stages_see_each_others_changes_and_are_committed_together()
    {
        using var transaction = WorkspaceTransaction.Begin(_work.Path, _storage.Path);
        AssertSucceeded(await transaction.RunAsync(Stage(), ["/bin/sh", "-c", "cat input.txt > made.txt; echo 2 >> made.txt"]));
        var second = await transaction.RunAsync(Stage(b => b.MaxMemory("256M")), ["/bin/sh", "-c", "cat made.txt; rm input.txt"]);
        AssertSucceeded(second);
        Assert.Equal("1\n2\n", second.StandardOutputText);
        Assert.True(File.Exists(_work["input.txt"]));
        Assert.False(File.Exists(_work["made.txt"]));

        var changes = transaction.Commit();

        Assert.Equal([$"D {_work["input.txt"]}", $"A {_work["made.txt"]}"], changes.Select(c => c.ToString()));
        Assert.Equal("1\n2\n", File.ReadAllText(_work["made.txt"]));
        Assert.False(File.Exists(_work["input.txt"]));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_storage.Path));
    }

    [Fact]
    public async Task A_failed_stage_commits_nothing_of_any_stage()
    {
        using (var transaction = WorkspaceTransaction.Begin(_work.Path, _storage.Path))
        {
            AssertSucceeded(await transaction.RunAsync(Stage(), ["/bin/sh", "-c", "echo a > a.txt"]));
            Assert.Equal(2, (await transaction.RunAsync(Stage(), ["/bin/sh", "-c", "echo b > b.txt; exit 2"])).ExitCode);
            Assert.Throws<InvalidOperationException>(() => transaction.Commit());
            await Assert.ThrowsAsync<InvalidOperationException>(() => transaction.RunAsync(Stage(), ["/bin/true"]));
        }
        Assert.Equal(["input.txt"], Directory.EnumerateFileSystemEntries(_work.Path).Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_storage.Path));
    }

    [Fact]
    public async Task A_stage_over_another_folder_is_refused()
    {
        using var other = new TempDir();
        using var transaction = WorkspaceTransaction.Begin(_work.Path, _storage.Path);
        var error = await Assert.ThrowsAsync<SandboxSetupException>(() => transaction.RunAsync(SystemOnly().Workdir(other.Path).Build(), ["/bin/true"]));
        Assert.Contains("must have it as its workdir", error.Message);
    }
}
