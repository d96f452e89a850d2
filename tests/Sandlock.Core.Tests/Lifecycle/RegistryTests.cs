using System.Diagnostics;
using Sandlock.Interop;
using Sandlock.Lifecycle.Registry;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Lifecycle;

/// <summary>
/// The registry of running sandboxes behind sandlock ps/inspect/kill, with real owners: this test process, and
/// other processes started for the purpose (tests/Sandlock.TestPrograms "own").
/// </summary>
public sealed class RegistryTests
{
    private static string UniqueName(string what) => $"{what}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task A_started_sandbox_is_listed_inspected_and_killed_through_its_owner()
    {
        var name = UniqueName("listed");
        await using var sandbox = new Sandbox(SystemOnly().Name(name).Build(), ["sleep", "60"]);
        sandbox.Start();
        Assert.NotNull(sandbox.Id);

        var listed = await Until(() => RegistryClient.List().SingleOrDefault(s => s.Id == sandbox.Id), "the sandbox listed");
        Assert.Equal(name, listed.Name);
        Assert.Equal(sandbox.Pid, listed.Pid);
        Assert.Equal(Environment.ProcessId, listed.OwnerPid);
        Assert.Equal(["sleep", "60"], listed.Command);
        Assert.Null(listed.Policy);

        var inspected = RegistryClient.Inspect(name);
        Assert.Equal(sandbox.Id, inspected.Id);
        Assert.Contains(inspected.Policy!, s => s.Key == "fs_read" && s.Value.Contains("/usr", StringComparison.Ordinal));
        Assert.Equal(sandbox.Pid, Assert.Single(inspected.Processes!).Pid);

        var killed = RegistryClient.Kill(sandbox.Id!);
        Assert.Equal(sandbox.Id, killed.Id);
        var result = await sandbox.WaitAsync();
        Assert.True(result.Status.Killed, $"expected killed, got {result.Status}");
        Assert.Equal(137, result.ExitCode);
        // Gone from the list with its end, before its result is seen.
        Assert.DoesNotContain(RegistryClient.List(), s => s.Id == sandbox.Id);
    }

    [Fact]
    public async Task A_name_shared_by_two_sandboxes_picks_neither_and_lists_their_ids()
    {
        var name = UniqueName("shared");
        await using var first = new Sandbox(SystemOnly().Name(name).Build(), ["sleep", "60"]);
        await using var second = new Sandbox(SystemOnly().Name(name).Build(), ["sleep", "60"]);
        first.Start();
        second.Start();
        await Until(() => RegistryClient.List().Count(s => s.Name == name) == 2 ? "" : null, "both listed");

        var ambiguous = Assert.Throws<RegistryException>(() => RegistryClient.Kill(name));
        Assert.Contains(first.Id!, ambiguous.Message);
        Assert.Contains(second.Id!, ambiguous.Message);
        Assert.False(first.WaitAsync().IsCompleted || second.WaitAsync().IsCompleted, "a sandbox ended though neither was picked");

        // By id, each is one sandbox.
        RegistryClient.Kill(first.Id!);
        Assert.True((await first.WaitAsync()).Status.Killed);
        Assert.False(second.WaitAsync().IsCompleted);
        Assert.Equal(second.Id, RegistryClient.Inspect(name).Id);
    }

    [Fact]
    public void An_unknown_id_or_name_is_an_error_that_names_it()
    {
        var e = Assert.Throws<RegistryException>(() => RegistryClient.Inspect("no-such-sandbox"));
        Assert.Contains("'no-such-sandbox'", e.Message);
    }

    [Fact]
    public async Task A_crashed_owner_leaves_nothing_listed_as_live()
    {
        var name = UniqueName("crashed");
        var owner = StartOwner(name, "sleep", "60");
        try
        {
            var listed = await Until(() => RegistryClient.List().SingleOrDefault(s => s.Name == name), "the owner's sandbox listed");
            Assert.Equal(owner.Id, listed.OwnerPid);
            var folder = RuntimeFolder.Resolve();
            Assert.Contains(Directory.GetFiles(folder), f => Path.GetFileName(f).StartsWith($"{owner.Id}-", StringComparison.Ordinal));

            // kill -9: the owner removes nothing; its lock goes with it.
            Libc.Kill(owner.Id, Libc.SIGKILL);
            await owner.WaitForExitAsync();

            Assert.DoesNotContain(RegistryClient.List(), s => s.Name == name);
            Assert.DoesNotContain(Directory.GetFiles(folder), f => Path.GetFileName(f).StartsWith($"{owner.Id}-", StringComparison.Ordinal));
            Assert.Throws<RegistryException>(() => RegistryClient.Kill(name));
        }
        finally
        {
            if (!owner.HasExited) owner.Kill(entireProcessTree: true);
            owner.Dispose();
        }
    }

    [Fact]
    public async Task An_owner_ends_its_entry_with_it()
    {
        var name = UniqueName("ended");
        using var owner = StartOwner(name, "sleep", "60");
        await Until(() => RegistryClient.List().SingleOrDefault(s => s.Name == name), "the owner's sandbox listed");
        RegistryClient.Kill(name);
        await owner.WaitForExitAsync();
        Assert.Equal(0, owner.ExitCode);
        Assert.Contains("killed", await owner.StandardOutput.ReadToEndAsync());
        Assert.DoesNotContain(Directory.GetFiles(RuntimeFolder.Resolve()), f => Path.GetFileName(f).StartsWith($"{owner.Id}-", StringComparison.Ordinal));
    }

    /// <summary>
    /// The kill ends the sandbox the owner's main thread waits for, and the owner then exits: once in CI the client read
    /// an empty answer, the process gone before the answer was written. The owner now waits for answers being sent.
    /// </summary>
    [Fact]
    public async Task A_killed_owner_answers_the_kill_before_it_exits()
    {
        var owners = Enumerable.Range(0, 8).Select(i => StartOwner(UniqueName($"answers-{i}"), "sleep", "60")).ToList();
        try
        {
            foreach (var owner in owners)
            {
                var listed = await Until(() => RegistryClient.List().SingleOrDefault(s => s.OwnerPid == owner.Id), "the owner's sandbox listed");
                Assert.Equal(listed.Id, RegistryClient.Kill(listed.Id).Id);
                await owner.WaitForExitAsync();
                Assert.Equal(0, owner.ExitCode);
            }
        }
        finally
        {
            foreach (var owner in owners)
            {
                if (!owner.HasExited) owner.Kill(entireProcessTree: true);
                owner.Dispose();
            }
        }
    }

    [Fact]
    public void The_runtime_folder_must_be_a_private_folder_of_the_user()
    {
        using var temp = new TempDir();
        var uid = SystemInfo.EffectiveUserId();
        var folder = Directory.CreateDirectory(temp["private"]).FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_000_000);
        Assert.Null(RuntimeFolder.Check(folder, uid));

        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        Assert.Contains("open to other users", RuntimeFolder.Check(folder, uid));

        File.SetUnixFileMode(folder, (UnixFileMode)0b111_000_000);
        File.CreateSymbolicLink(temp["link"], folder);
        Assert.Contains("not a folder", RuntimeFolder.Check(temp["link"], uid));
        Assert.Contains("belongs to uid", RuntimeFolder.Check(folder, uid + 1));
    }

    [Fact]
    public async Task A_process_is_listed_from_its_first_session_provisioned_before_any_command_runs()
    {
        // A runtime folder of its own, which only the program's entry can be in.
        var runtime = Directory.CreateTempSubdirectory("sandlock-provision-runtime-");
        File.SetUnixFileMode(runtime.FullName, (UnixFileMode)0b111_000_000);
        var info = new ProcessStartInfo(DotnetPrograms.Host) { RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var arg in (string[])["exec", DotnetPrograms.Assembly, "provision"]) info.ArgumentList.Add(arg);
        info.Environment["XDG_RUNTIME_DIR"] = runtime.FullName;
        using var program = Process.Start(info)!;
        try
        {
            Assert.Equal("provisioned", await program.StandardOutput.ReadLineAsync());
            var entries = Path.Combine(runtime.FullName, "sandlock");
            var files = Directory.EnumerateFiles(entries).Select(Path.GetFileName).Order().ToList();
            Assert.Equal(2, files.Count);
            Assert.All(files, f => Assert.StartsWith($"{program.Id}-", f));
            Assert.Equal([".lock", ".sock"], files.Select(Path.GetExtension));

            program.StandardInput.Close();
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await program.WaitForExitAsync(limit.Token);
            Assert.Equal(0, program.ExitCode);
            Assert.Empty(Directory.EnumerateFiles(entries));
        }
        finally
        {
            if (!program.HasExited) program.Kill(entireProcessTree: true);
            runtime.Delete(recursive: true);
        }
    }

    private static Process StartOwner(string name, params string[] command)
    {
        var info = new ProcessStartInfo(DotnetPrograms.Host) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in (string[])["exec", DotnetPrograms.Assembly, "own", name, .. command]) info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }

    /// <summary>Polls until <paramref name="probe"/> finds something; the guard only keeps a broken registry from hanging the run.</summary>
    private static async Task<T> Until<T>(Func<T?> probe, string what) where T : class
    {
        var guard = Stopwatch.StartNew();
        while (true)
        {
            if (probe() is { } found) return found;
            if (guard.Elapsed > TimeSpan.FromSeconds(60)) throw new Xunit.Sdk.XunitException($"never saw {what}");
            await Task.Delay(20);
        }
    }
}
