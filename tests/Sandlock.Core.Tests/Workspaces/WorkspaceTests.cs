using System.Diagnostics;
using System.Security.Cryptography;
using Sandlock.Lifecycle.Workspaces;
using Sandlock.Supervision.Workspaces;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Workspaces;

/// <summary>
/// A copy-on-write workdir without root or a mount namespace: the command's writes under it land in a private
/// layer, reach the folder only when the run succeeds, and nothing of the layer stays behind.
/// </summary>
public sealed class WorkspaceTests : IDisposable
{
    private readonly TempDir _work = new();
    private readonly TempDir _storage = new();

    public WorkspaceTests()
    {
        _work.Write("b", "old b\n");
        _work.Write("c", "c stays\n");
        _work.Write("sub/inner.txt", "inner\n");
        OpenToEveryone(_work.Path);
    }

    public void Dispose()
    {
        _work.Dispose();
        _storage.Dispose();
    }

    /// <summary>Unprivileged runs of the suite share the folders with another user.</summary>
    private static void OpenToEveryone(string folder)
    {
        foreach (var dir in Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Append(folder))
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(file, (UnixFileMode)0b110_110_110);
    }

    private SandboxPolicyBuilder Cow(string? workdir = null) =>
        SystemOnly().FsWrite(workdir ?? _work.Path).Workdir(workdir ?? _work.Path).FsStorage(_storage.Path).Cwd(workdir ?? _work.Path);

    private void AssertNoLayerLeft() => Assert.Empty(Directory.EnumerateFileSystemEntries(_storage.Path));

    [Fact]
    public async Task A_failed_run_leaves_the_workdir_exactly_as_it_was()
    {
        var before = Snapshot(_work.Path);
        var result = await Sh(Cow(), $"echo new > {_work.Path}/a; rm {_work.Path}/b; cat {_work.Path}/a; exit 1");
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("new\n", result.StandardOutputText);
        Assert.Equal(before, Snapshot(_work.Path));
        Assert.Equal(BranchAction.Abort, result.ChangesAction);
        AssertNoLayerLeft();
    }

    [Fact]
    public async Task A_successful_run_commits_its_changes()
    {
        var result = await Sh(Cow(), $"echo new > {_work.Path}/a; rm {_work.Path}/b; echo more >> c; exit 0");
        AssertSucceeded(result);
        Assert.Equal("new\n", File.ReadAllText(_work["a"]));
        Assert.False(File.Exists(_work["b"]));
        Assert.Equal("c stays\nmore\n", File.ReadAllText(_work["c"]));
        Assert.Equal(BranchAction.Commit, result.ChangesAction);
        AssertNoLayerLeft();
    }

    [Fact]
    public async Task A_dry_run_lists_the_changes_and_keeps_none()
    {
        var before = Snapshot(_work.Path);
        var dry = await Sandbox.DryRunAsync(Cow().Build(), ["/bin/sh", "-c", "echo new > a; rm b; echo more >> c; mkdir d; rm -r sub"]);
        AssertSucceeded(dry.Result);
        Assert.Equal([$"A {_work["a"]}", $"D {_work["b"]}", $"M {_work["c"]}", $"A {_work["d"]}", $"D {_work["sub"]}"],
            dry.Changes.Select(c => c.ToString()));
        Assert.Equal(before, Snapshot(_work.Path));
        AssertNoLayerLeft();
    }

    [Fact]
    public async Task Programs_do_not_notice_the_layer_and_the_commit_equals_a_bare_run()
    {
        // Temp file then rename, folders made and removed, symlinks, hard links, a file made executable and run,
        // merged listings, stats of changed files, a folder of the workdir renamed with what is in it.
        const string script = """
            set -e
            printf 'x\n' > tmp.$$; mv tmp.$$ c
            mkdir -p build/obj; echo o > build/obj/a.o
            mkdir gone; rmdir gone
            rm b
            ln -s c link; ln sub/inner.txt hard
            printf '#!/bin/sh\necho ran\n' > tool; chmod +x tool; ./tool > tool.out
            ls > listing; ls -a sub >> listing
            stat -c '%s %a %F' c link tool > stat.out
            mv sub renamed
            cat renamed/inner.txt link >> log
            cd renamed && echo here > here.txt && "$OLDPWD/tool" >> ../log && cat inner.txt >> ../log
            """;
        using var bare = new TempDir();
        CopyTree(_work.Path, bare.Path);
        Assert.Equal(0, RunBare(bare.Path, "/bin/sh", "-c", script));

        var result = await Run(Cow(), "/bin/sh", "-c", script);

        AssertSucceeded(result);
        Assert.Equal(Snapshot(bare.Path), Snapshot(_work.Path));
        Assert.Equal("inner\nx\nran\ninner\n", File.ReadAllText(_work["log"]));
        AssertNoLayerLeft();
    }

    [NeedsProgramFact("/usr/bin/git")]
    public async Task Git_commit_in_a_copy_on_write_checkout_makes_the_same_repository_as_a_bare_one()
    {
        const string script = """
            set -e
            git -c init.defaultBranch=main init -q .
            git add -A && git -c user.name=t -c user.email=t@example.com commit -q -m first
            echo changed >> c && rm b && echo new > n
            git add -A && git -c user.name=t -c user.email=t@example.com commit -q -m second
            git log --format=%H > head.txt
            """;
        using var bare = new TempDir();
        CopyTree(_work.Path, bare.Path);
        var environment = new Dictionary<string, string>
        {
            ["GIT_AUTHOR_DATE"] = "2020-01-01T00:00:00Z", ["GIT_COMMITTER_DATE"] = "2020-01-01T00:00:00Z",
            ["HOME"] = bare.Path, ["GIT_CONFIG_NOSYSTEM"] = "1",
        };
        Assert.Equal(0, RunBare(bare.Path, environment, "/bin/sh", "-c", script));
        var cow = Cow();
        foreach (var (key, value) in environment) cow.Env($"{key}={(key == "HOME" ? _work.Path : value)}");

        var result = await Run(cow, "/bin/sh", "-c", script);

        AssertSucceeded(result);
        // The index caches inode numbers and times, which differ between any two checkouts.
        static bool Compared(string path) => path != ".git/index";
        Assert.Equal(Snapshot(bare.Path, Compared), Snapshot(_work.Path, Compared));
        AssertNoLayerLeft();
    }

    [Fact]
    public async Task The_command_cannot_write_the_workdir_or_its_layer_by_itself()
    {
        // Through the magic link of an fd the supervisor opened on the workdir's file, and by the upper folder's own path.
        var result = await Sh(Cow(), """
            exec 3< c
            echo evil > /proc/self/fd/3 && echo wrote-workdir
            echo new > a
            exec 4< a
            upper=$(dirname "$(readlink /proc/self/fd/4)")
            echo evil > "$upper/planted" && echo wrote-layer
            exit 0
            """);
        Assert.DoesNotContain("wrote", result.StandardOutputText);
        Assert.Contains("Permission denied", result.StandardErrorText);
        Assert.Equal("c stays\n", File.ReadAllText(_work["c"]));
        Assert.False(File.Exists(_work["planted"]));
        Assert.Equal("new\n", File.ReadAllText(_work["a"]));
    }

    [Fact]
    public async Task A_write_past_max_disk_fails_with_ENOSPC_and_nothing_is_committed()
    {
        var before = Snapshot(_work.Path);
        var failed = await Sh(Cow().MaxDisk("1M"), "echo small > small; head -c 5000000 /dev/zero > big");
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Contains("No space left on device", failed.StandardErrorText);
        Assert.Contains(failed.Denials, d => d.Rule.StartsWith("max_disk 1M", StringComparison.Ordinal));
        Assert.Equal(before, Snapshot(_work.Path));

        // A program that swallows the error and exits 0 does not get its half-written changes committed either.
        var swallowed = await Sh(Cow().MaxDisk("1M"), "echo small > small; head -c 5000000 /dev/zero > big; exit 0");
        AssertSucceeded(swallowed);
        Assert.Equal(BranchAction.Abort, swallowed.ChangesAction);
        Assert.Equal(before, Snapshot(_work.Path));

        var within = await Sh(Cow().MaxDisk("1M"), "head -c 500000 /dev/zero > big");
        AssertSucceeded(within);
        Assert.Equal(500000, new FileInfo(_work["big"]).Length);
        AssertNoLayerLeft();
    }

    [Fact]
    public async Task Keep_leaves_the_layer_and_says_where()
    {
        var result = await Sh(Cow().OnError(BranchAction.Keep), "echo new > a; rm b; exit 3");
        Assert.Equal(3, result.ExitCode);
        Assert.Equal(BranchAction.Keep, result.ChangesAction);
        Assert.NotNull(result.ChangesKeptAt);
        Assert.Equal("new\n", File.ReadAllText(Path.Combine(result.ChangesKeptAt!, "upper", "a")));
        Assert.True(File.Exists(_work["b"]));
        Assert.False(File.Exists(_work["a"]));
        // A later run over the same storage leaves a kept layer alone.
        AssertSucceeded(await Sh(Cow(), "true"));
        Assert.True(Directory.Exists(result.ChangesKeptAt));
    }

    [Fact]
    public async Task A_large_file_is_copied_up_whole_off_the_notification_thread()
    {
        var bytes = RandomNumberGenerator.GetBytes(3 << 20);
        File.WriteAllBytes(_work["large.bin"], bytes);
        var result = await Sh(Cow(), "echo tail >> large.bin & cat c; wait");
        AssertSucceeded(result);
        Assert.Equal("c stays\n", result.StandardOutputText);
        Assert.Equal([.. bytes, .. "tail\n"u8.ToArray()], File.ReadAllBytes(_work["large.bin"]));
    }

    [Fact]
    public async Task A_commit_a_crash_interrupted_is_finished_by_the_next_run_over_the_same_storage()
    {
        // What a commit leaves when its sandlock is killed after writing the journal: the layer, the journal, no live lock.
        var run = Directory.CreateDirectory(Path.Combine(_storage.Path, "run-interrupted")).FullName;
        var layout = new WorkspaceLayout(_work.Path, run);
        Directory.CreateDirectory(layout.Upper + "/sub");
        File.WriteAllText(layout.Upper + "/sub/made.txt", "made\n");
        File.WriteAllText(layout.DeletedList, "b\0");
        File.WriteAllText(layout.LowerRecord, _work.Path + "\n");
        File.WriteAllText(layout.LiveLock, "");
        File.WriteAllText(layout.Journal, $"sandlock-commit\n{_work.Path}\n");

        AssertSucceeded(await Sh(Cow(), "cat sub/made.txt"));

        Assert.Equal("made\n", File.ReadAllText(_work["sub/made.txt"]));
        Assert.False(File.Exists(_work["b"]));
        AssertNoLayerLeft();
    }

    [Fact]
    public void Settings_of_the_layer_without_a_workdir_or_in_it_are_refused_naming_them()
    {
        Assert.Contains("max_disk needs a workdir", Assert.Throws<PolicyException>(() => SystemOnly().MaxDisk("1M").Build()).Message);
        Assert.Contains("on_exit needs a workdir", Assert.Throws<PolicyException>(() => SystemOnly().OnExit(BranchAction.Keep).Build()).Message);
        var inside = Assert.Throws<PolicyException>(() => SystemOnly().Workdir(_work.Path).FsStorage(_work["sub"]).Build());
        Assert.Contains("lies inside the workdir", inside.Message);
        var missing = Assert.Throws<PolicyException>(() => SystemOnly().Workdir(_work["nope"]).Build());
        Assert.Contains("directory does not exist", missing.Message);
    }

    /// <summary>Every entry below <paramref name="root"/>: its type, permissions, and bytes or link target.</summary>
    internal static SortedDictionary<string, string> Snapshot(string root, Func<string, bool>? compared = null)
    {
        var entries = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 };
        foreach (var info in new DirectoryInfo(root).EnumerateFileSystemInfos("*", options))
        {
            var relative = Path.GetRelativePath(root, info.FullName);
            if (compared is not null && !compared(relative)) continue;
            var mode = Convert.ToString((int)File.GetUnixFileMode(info.FullName), 8);
            entries[relative] = info.LinkTarget is { } target ? $"link -> {target}"
                : info is DirectoryInfo ? $"dir {mode}"
                : $"file {mode} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(info.FullName)))}";
        }
        return entries;
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
        OpenToEveryone(to);
        File.SetUnixFileMode(to, File.GetUnixFileMode(from));
    }

    private static int RunBare(string directory, params string[] command) => RunBare(directory, new Dictionary<string, string>(), command);

    private static int RunBare(string directory, IReadOnlyDictionary<string, string> environment, params string[] command)
    {
        var info = new ProcessStartInfo(command[0]) { WorkingDirectory = directory, UseShellExecute = false };
        foreach (var argument in command.Skip(1)) info.ArgumentList.Add(argument);
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        process.WaitForExit();
        return process.ExitCode;
    }
}

/// <summary>A fact that needs a program this machine may lack: skipped, saying which, when it is missing.</summary>
public sealed class NeedsProgramFactAttribute : FactAttribute
{
    public NeedsProgramFactAttribute(string program)
    {
        if (!File.Exists(program)) Skip = $"{program} is not installed (apt-get install {Path.GetFileName(program)})";
    }
}
