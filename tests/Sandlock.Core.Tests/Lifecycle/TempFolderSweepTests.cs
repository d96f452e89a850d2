using System.Diagnostics;
using Sandlock.Interop;
using Sandlock.Tests.TestSupport;

namespace Sandlock.Tests.Lifecycle;

/// <summary>
/// A temp folder of a sandlock process that was killed (SIGKILL: no chance to clean up) is removed by a later
/// process's sweep; one whose owner lives is kept, whoever sweeps.
/// </summary>
public sealed class TempFolderSweepTests
{
    [Fact]
    public async Task The_folders_of_a_killed_owner_are_swept_and_a_live_owners_are_kept()
    {
        using var temp = new TempDir();
        // An owner of a session whose command lists /proc: the session's folder and the supervisor's stand-in for
        // /proc are both made in the owner's TMPDIR.
        var info = new ProcessStartInfo(DotnetPrograms.Host) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in (string[])["exec", DotnetPrograms.Assembly, "session", "/bin/sh", "-c", "ls /proc > /dev/null && echo listed; sleep 60"])
            info.ArgumentList.Add(arg);
        info.Environment["TMPDIR"] = temp.Path;
        using var owner = Process.Start(info)!;
        try
        {
            // The owner's line and its command's come in either order.
            string[] said = [(await owner.StandardOutput.ReadLineAsync())!, (await owner.StandardOutput.ReadLineAsync())!];
            Assert.Contains("listed", said);
            var session = Assert.Single(said, line => line.StartsWith("session ", StringComparison.Ordinal))["session ".Length..];
            var listing = Assert.Single(Directory.GetDirectories(temp.Path, "sandlock-proc-*"));
            string[] folders = [session, listing];
            Assert.All(folders, f => Assert.True(File.Exists(f + ".owner"), f));

            Assert.Equal(0, TempFolderOwnership.Sweep(temp.Path));
            Assert.All(folders, f => Assert.True(Directory.Exists(f), f));

            owner.Kill();
            await owner.WaitForExitAsync();
            Assert.All(folders, f => Assert.True(Directory.Exists(f), "a killed owner removes nothing itself: " + f));
            Assert.Equal(2, TempFolderOwnership.Sweep(temp.Path));
            // The runtime's own diagnostic pipes of the killed owner stay: they are not sandlock's.
            Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path, "sandlock-*"));
        }
        finally
        {
            if (!owner.HasExited) owner.Kill(entireProcessTree: true);
        }
    }

    /// <summary>An owner killed between making its mark under a pending name and renaming it left both behind, for good.</summary>
    [Fact]
    public void A_folder_whose_owner_died_while_it_made_the_mark_is_swept_once_the_pending_mark_is_old()
    {
        using var temp = new TempDir();
        string Pending(string name, TimeSpan age)
        {
            var folder = Directory.CreateDirectory(temp[name]).FullName;
            var mark = folder + ".owner-abcd1234.xyz";
            File.WriteAllBytes(mark, []);
            File.SetLastWriteTimeUtc(mark, DateTime.UtcNow - age);
            return folder;
        }
        var abandoned = Pending("sandlock-test-abandoned", TimeSpan.FromMinutes(2));
        // Unheld only for a moment while its owner locks it: a fresh one is never taken.
        var fresh = Pending("sandlock-test-fresh", TimeSpan.Zero);
        var held = Pending("sandlock-test-held", TimeSpan.FromMinutes(2));
        using var holder = File.OpenHandle(held + ".owner-abcd1234.xyz", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        Assert.True(FileLock.TryLockExclusive((int)holder.DangerousGetHandle()));

        Assert.Equal(1, TempFolderOwnership.Sweep(temp.Path));
        Assert.False(Directory.Exists(abandoned));
        Assert.False(File.Exists(abandoned + ".owner-abcd1234.xyz"));
        Assert.All([fresh, held], f => Assert.True(Directory.Exists(f) && File.Exists(f + ".owner-abcd1234.xyz"), f));
    }

    [Fact]
    public void A_folder_this_process_uses_is_kept_and_its_mark_goes_with_it()
    {
        using var temp = new TempDir();
        var folder = Directory.CreateDirectory(temp["sandlock-test-in-use"]).FullName;
        var ownership = TempFolderOwnership.Claim(folder);
        Assert.NotNull(ownership);
        Assert.Equal(0, TempFolderOwnership.Sweep(temp.Path));
        Assert.True(Directory.Exists(folder));
        ownership.Dispose();
        Assert.False(File.Exists(folder + ".owner"));
    }

    [Fact]
    public async Task A_sweep_never_takes_a_folder_while_its_owner_claims_it()
    {
        // A test host's or a build node's sweep, or `sandlock ps`, runs while other processes make their folders: a
        // mark that could be seen before it is held let the sweep remove a folder its owner went on to use.
        using var temp = new TempDir();
        using var stop = new CancellationTokenSource();
        // On a thread of its own, and under way before the first claim: on the pool, a busy CI run once gave it no
        // thread until all 3,000 claims were done.
        var swept = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sweeping = Task.Factory.StartNew(() =>
        {
            var sweeps = 0;
            while (!stop.IsCancellationRequested)
            {
                TempFolderOwnership.Sweep(temp.Path);
                sweeps++;
                swept.TrySetResult();
            }
            return sweeps;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.WhenAny(swept.Task, sweeping);
        var lost = 0;
        for (var i = 0; i < 3000; i++)
        {
            var folder = Directory.CreateDirectory(temp[$"sandlock-test-{i}"]).FullName;
            using var ownership = TempFolderOwnership.Claim(folder);
            Assert.NotNull(ownership);
            if (!Directory.Exists(folder) || !File.Exists(folder + ".owner")) lost++;
            Directory.Delete(folder);
        }
        await stop.CancelAsync();
        Assert.True(await sweeping > 0);
        Assert.Equal(0, lost);
        // Every mark's lock went with its ownership (counted by what the fds name: other test classes run beside this
        // one and open fds of their own), and no pending mark is left behind.
        Assert.DoesNotContain(new DirectoryInfo("/proc/self/fd").EnumerateFileSystemInfos().Select(fd => fd.LinkTarget),
            target => target is not null && target.StartsWith(temp.Path, StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFileSystemEntries(temp.Path));
    }

    [Fact]
    public void A_link_in_place_of_a_swept_folder_is_removed_not_followed()
    {
        using var temp = new TempDir();
        var target = Directory.CreateDirectory(temp["elsewhere"]).FullName;
        File.WriteAllText(Path.Combine(target, "keep"), "kept");
        File.CreateSymbolicLink(temp["sandlock-test-link"], target);
        File.WriteAllText(temp["sandlock-test-link.owner"], "");
        Assert.Equal(1, TempFolderOwnership.Sweep(temp.Path));
        Assert.False(Path.Exists(temp["sandlock-test-link"]));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(target, "keep")));
    }
}
