using System.Text;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Checkpoints;

/// <summary>
/// Checkpoint and restore of a real process (counter.c) on this kernel: it continues where it was saved, with its
/// open files at their offsets, confined by the restoring policy; what cannot be carried over is refused by name.
/// </summary>
// Its max_processes run makes a pids cgroup, which ProcessLimitTests counts: not beside it.
[Collection(Sandlock.Tests.Supervision.ProcessLimitTests.PidsCgroupsCollection)]
public sealed class CheckpointTests(CheckpointTests.Program program) : IClassFixture<CheckpointTests.Program>
{
    /// <summary>counter.c, in a folder the sandboxes may read.</summary>
    public sealed class Program : IDisposable
    {
        private readonly TempDir _dir = new();

        public Program()
        {
            Path = CPrograms.Build("Checkpoints/counter.c", _dir["counter"], flags: "-pthread");
            StaticPath = CPrograms.Build("Checkpoints/counter.c", _dir["counter-static"], isStatic: true, "-pthread");
        }

        public string Path { get; }

        /// <summary>Linked statically: no loader or shared libraries, the vDSO still in use.</summary>
        public string StaticPath { get; }

        public SandboxPolicyBuilder Policy() => SystemOnly().FsRead(_dir.Path);

        public void Dispose() => _dir.Dispose();
    }

    /// <summary>
    /// Starts the counter with LIMIT/STOP and returns once it has stopped itself after line STOP: the test knows the
    /// step it checkpoints at, however slow the machine.
    /// </summary>
    private static async Task<Sandbox> StartStopped(SandboxPolicy policy, params string[] command)
    {
        var sandbox = new Sandbox(policy, command);
        sandbox.Start();
        // Waits for the stop without taking the exit status, which the sandbox's watcher owns.
        var stop = await Task.Run(() => Sandlock.Interop.Ptrace.WaitForStop(sandbox.Pid!.Value));
        if (stop.Exited)
        {
            var result = await sandbox.WaitAsync();
            await sandbox.DisposeAsync();
            throw new InvalidOperationException($"the counter ended before it stopped: {result.Status} {result.StandardErrorText}");
        }
        return sandbox;
    }

    /// <summary>Starts the counter and returns once it has printed <paramref name="lines"/> lines, running on.</summary>
    private static async Task<Sandbox> StartRunning(SandboxPolicy policy, int lines, params string[] command)
    {
        var output = new StringBuilder();
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sandbox = new Sandbox(policy, command)
        {
            OnStandardOutput = chunk =>
            {
                lock (output)
                {
                    output.Append(Encoding.UTF8.GetString(chunk));
                    if (output.ToString().Count(c => c == '\n') >= lines) seen.TrySetResult();
                }
            },
        };
        sandbox.Start();
        var result = sandbox.WaitAsync();
        await Task.WhenAny(seen.Task, result);
        if (!seen.Task.IsCompleted)
        {
            await sandbox.DisposeAsync();
            throw new InvalidOperationException($"the counter ended early: {(await result).StandardErrorText}");
        }
        return sandbox;
    }

    private static string TomlString(string text) => Sandlock.Policy.Files.TomlString.Quote(text);

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static int Count(string line) => int.Parse(line.Split(' ')[0]);

    private static IEnumerable<string> Numbers(int from, int to) => Enumerable.Range(from, to - from + 1).Select(n => n.ToString());

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_counter_checkpointed_at_N_killed_and_restored_continues_from_N(bool linkedStatically)
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        await using (var sandbox = await StartStopped(policy, linkedStatically ? program.StaticPath : program.Path, "12/3"))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            var original = await sandbox.WaitAsync();
            Assert.True(original.Status.Killed, $"the original was not killed: {original.Status}");
            Assert.Equal(Numbers(1, 3), Lines(original.StandardOutputText));
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder["image"]));
        await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
        Assert.Equal([linkedStatically ? program.StaticPath : program.Path, "12/3"], restored.Command);
        var result = await restored.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal(Numbers(4, 12), Lines(result.StandardOutputText));
    }

    [Fact]
    public async Task A_sandbox_with_process_and_memory_limits_is_checkpointed_and_restored_under_them()
    {
        // Unprivileged, max_processes puts the sandbox in a user namespace of its own: ptrace still reaches it.
        using var folder = new TempDir();
        var policy = program.Policy().MaxProcesses(4).MaxMemory("256M").Build();
        await using (var sandbox = await StartStopped(policy, program.Path, "7/3"))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            Assert.Equal(Numbers(1, 3), Lines((await sandbox.WaitAsync()).StandardOutputText));
        }
        await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
        var result = await restored.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal(Numbers(4, 7), Lines(result.StandardOutputText));
    }

    [Fact]
    public async Task A_running_counter_is_interrupted_checkpointed_and_continues_after_restore()
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        int last;
        await using (var sandbox = await StartRunning(policy, 3, program.Path, "150"))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            last = Count(Lines((await sandbox.WaitAsync()).StandardOutputText)[^1]);
        }
        await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
        var result = await restored.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal(Numbers(last + 1, 150), Lines(result.StandardOutputText));
    }

    [Fact]
    public async Task A_stopped_sandbox_stays_stopped_runs_on_when_resumed_and_its_checkpoint_restores_twice()
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        await using (var sandbox = await StartStopped(policy, program.Path, "6/2"))
        {
            await sandbox.CheckpointAsync(folder["image"]);
            // Detached from a group stop, it stops again on its own: it must not have run on.
            SpinWait.SpinUntil(() => Procfs.State(sandbox.Pid!.Value) != "R", TimeSpan.FromSeconds(30));
            Assert.Equal("T", Procfs.State(sandbox.Pid!.Value));
            sandbox.Resume();
            var original = await sandbox.WaitAsync();
            AssertSucceeded(original);
            Assert.Equal(Numbers(1, 6), Lines(original.StandardOutputText));
        }
        foreach (var _ in Enumerable.Range(0, 2))
        {
            await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
            var result = await restored.WaitAsync();
            AssertSucceeded(result);
            Assert.Equal(Numbers(3, 6), Lines(result.StandardOutputText));
        }
    }

    [Fact]
    public async Task The_restored_process_has_the_saved_address_space_and_nothing_of_the_stub()
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        await using (var sandbox = await StartStopped(policy, program.Path, "1000000/2"))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            await sandbox.WaitAsync();
        }
        using var saved = System.Text.Json.JsonDocument.Parse(File.ReadAllText(folder["image/checkpoint.json"]));
        var savedPages = Pages(saved.RootElement.GetProperty("regions").EnumerateArray()
            .Select(r => (r.GetProperty("start").GetUInt64(), r.GetProperty("end").GetUInt64(), r.GetProperty("protection").GetString()!)));

        await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
        var maps = File.ReadAllLines($"/proc/{restored.Pid}/maps");
        restored.Kill();
        await restored.WaitAsync();
        Assert.DoesNotContain(maps, line => line.Contains("sandlock-restore") || line.StartsWith("3f00000", StringComparison.Ordinal));
        var restoredPages = Pages(maps.Where(line => !line.EndsWith("[vsyscall]")).Select(line =>
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var range = fields[0].Split('-');
            return (Convert.ToUInt64(range[0], 16), Convert.ToUInt64(range[1], 16), fields[1]);
        }));
        Assert.Equal(savedPages, restoredPages);
    }

    /// <summary>Each page's address and protection: neighbours the kernel merges into one mapping compare equal.</summary>
    private static List<string> Pages(IEnumerable<(ulong Start, ulong End, string Protection)> ranges) =>
        [.. ranges.SelectMany(r => Enumerable.Range(0, (int)((r.End - r.Start) / 4096)).Select(i => $"{r.Start + (ulong)i * 4096:x} {r.Protection}")).Order()];

    [Fact]
    public async Task Memory_can_still_be_allocated_after_restore()
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        await using (var sandbox = await StartStopped(policy, program.Path, "40/3", "alloc"))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            await sandbox.WaitAsync();
        }
        await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
        var result = await restored.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal(Numbers(4, 40).Select(n => $"{n} alloc:ok"), Lines(result.StandardOutputText));
    }

    [Fact]
    public async Task Blocked_and_ignored_signals_stay_so()
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        await using (var sandbox = await StartStopped(policy, program.Path, "5/2", "signals"))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            await sandbox.WaitAsync();
        }
        await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
        var result = await restored.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal(Numbers(3, 5).Select(n => $"{n} blocked:1 ignored:1"), Lines(result.StandardOutputText));
    }

    [Fact]
    public async Task An_open_file_is_reopened_at_its_offset()
    {
        using var folder = new TempDir();
        var records = folder.Write("records", string.Concat(Enumerable.Range(1, 10).Select(n => $"r{n:00}\n")));
        var policy = program.Policy().FsRead(folder.Path).Build();
        await using (var sandbox = await StartStopped(policy, program.Path, "10/3", "read", records))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            Assert.Equal(["1 r01", "2 r02", "3 r03"], Lines((await sandbox.WaitAsync()).StandardOutputText));
        }
        await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
        var result = await restored.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal(Enumerable.Range(4, 7).Select(n => $"{n} r{n:00}"), Lines(result.StandardOutputText));
    }

    [Fact]
    public async Task A_restored_process_is_confined_by_the_restoring_policy()
    {
        using var folder = new TempDir();
        var secret = folder.Write("secret/key", "k");
        await using (var sandbox = await StartStopped(program.Policy().FsRead(folder["secret"]).Build(), program.Path, "8/2", "probe", secret))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            // Saved by a sandbox that may read the secret: the memory image holds a process that just did.
            Assert.Equal(Numbers(1, 2).Select(n => $"{n} open:ok unshare:Operation not permitted"), Lines((await sandbox.WaitAsync()).StandardOutputText));
        }
        // The kept policy would allow it: the explicit one replaces it.
        Assert.Contains(TomlString(folder["secret"]), File.ReadAllText(folder["image/policy.toml"]));
        await using var restored = await Sandbox.RestoreAsync(folder["image"], program.Policy().Build());
        var result = await restored.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal(Numbers(3, 8).Select(n => $"{n} open:Permission denied unshare:Operation not permitted"), Lines(result.StandardOutputText));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_restore_without_a_policy_is_confined_by_the_policy_the_checkpoint_keeps(bool mayRead)
    {
        using var folder = new TempDir();
        var secret = folder.Write("secret/key", "k");
        // The default policy would let the restored process read the secret: only the kept one refuses it.
        var policy = (mayRead ? program.Policy().FsRead(folder["secret"]) : program.Policy()).MaxProcesses(8).RandomSeed(7).Build();
        var open = mayRead ? "ok" : "Permission denied";
        await using (var sandbox = await StartStopped(policy, program.Path, "6/2", "probe", secret))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            Assert.Equal(Numbers(1, 2).Select(n => $"{n} open:{open} unshare:Operation not permitted"), Lines((await sandbox.WaitAsync()).StandardOutputText));
        }
        Assert.Equal(mayRead, File.ReadAllLines(folder["image/policy.toml"]).Single(l => l.StartsWith("read = ", StringComparison.Ordinal)).Contains(folder["secret"]));
        await using var restored = await Sandbox.RestoreAsync(folder["image"]);
        var result = await restored.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal(Numbers(3, 6).Select(n => $"{n} open:{open} unshare:Operation not permitted"), Lines(result.StandardOutputText));
        Assert.Equal(8, restored.Policy.MaxProcesses);
        Assert.Equal(7UL, restored.Policy.RandomSeed);
        // The restore stub is the one path a restore adds; the sandbox shows the checkpointed command, not the stub.
        Assert.Equal([.. policy.FsReadable], restored.Policy.FsReadable.SkipLast(1).ToArray());
        Assert.EndsWith("/sandlock-restore", restored.Policy.FsReadable[^1]);
        Assert.Equal([program.Path, "6/2", "probe", secret], restored.Command);
    }

    [Fact]
    public async Task A_restored_process_is_checkpointed_again_with_the_policy_it_was_given_and_not_the_stub()
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        await using (var sandbox = await StartStopped(policy, program.Path, "200/2"))
        {
            await sandbox.CheckpointAsync(folder["first"], thenKill: true);
            await sandbox.WaitAsync();
        }
        int last;
        await using (var restored = await Sandbox.RestoreAsync(folder["first"]))
        {
            await restored.CheckpointAsync(folder["second"], thenKill: true);
            var lines = Lines((await restored.WaitAsync()).StandardOutputText);
            last = lines.Length == 0 ? 2 : Count(lines[^1]);
        }
        // The same settings (the comments name the restore stub as the command): the stub's path is not among them.
        var settings = File.ReadAllText(folder["second/policy.toml"]).Split('\n').Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(File.ReadAllText(folder["first/policy.toml"]).Split('\n').Where(l => !l.StartsWith('#')), settings);
        Assert.DoesNotContain(settings, l => l.Contains("sandlock-restore"));
        await using var again = await Sandbox.RestoreAsync(folder["second"]);
        var result = await again.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal(Numbers(last + 1, 200), Lines(result.StandardOutputText));
    }

    [Fact]
    public async Task A_checkpoint_is_continued_by_another_process_restoring_it_without_a_policy()
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        await using (var sandbox = await StartStopped(policy, program.Path, "12/5"))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            Assert.Equal(Numbers(1, 5), Lines((await sandbox.WaitAsync()).StandardOutputText));
        }
        var info = new System.Diagnostics.ProcessStartInfo(DotnetPrograms.Host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in (string[])["exec", DotnetPrograms.Assembly, "restore", folder["image"]]) info.ArgumentList.Add(arg);
        using var restorer = System.Diagnostics.Process.Start(info)!;
        var stderr = restorer.StandardError.ReadToEndAsync();
        var output = await restorer.StandardOutput.ReadToEndAsync();
        await restorer.WaitForExitAsync();
        Assert.True(restorer.ExitCode == 0, $"the restoring process failed ({restorer.ExitCode}): {await stderr}");
        Assert.Equal([.. Numbers(6, 12), "restored exited with code 0"], Lines(output));
    }

    [Fact]
    public async Task A_checkpoint_of_a_sandbox_with_a_policy_callback_restores_only_with_a_policy_given()
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        await using (var sandbox = new Sandbox(policy, [program.Path, "5/2"]) { PolicyCallback = (_, _) => PolicyVerdict.Allow })
        {
            sandbox.Start();
            var stop = await Task.Run(() => Sandlock.Interop.Ptrace.WaitForStop(sandbox.Pid!.Value));
            Assert.False(stop.Exited);
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            await sandbox.WaitAsync();
        }
        var refused = await Assert.ThrowsAsync<SandboxCheckpointException>(() => Sandbox.RestoreAsync(folder["image"]));
        Assert.Contains(folder["image/checkpoint.json"], refused.Message);
        Assert.Contains("a policy callback, which a checkpoint cannot hold: restore it with a policy given explicitly", refused.Message);
        await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
        var result = await restored.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal(Numbers(3, 5), Lines(result.StandardOutputText));
    }

    [Theory]
    [InlineData("missing", "policy.toml is missing (a checkpoint without its policy)")]
    [InlineData("description", "checkpoint.json: has no policyBeyondFile")]
    [InlineData("unknown key", "policy.toml:2:1: unknown key 'read_everything' in [filesystem]")]
    [InlineData("path gone", "policy.toml:2:9: path does not exist: /nonexistent/sandlock")]
    public async Task A_kept_policy_that_is_missing_or_tampered_with_is_refused_naming_the_file_and_line(string change, string named)
    {
        using var folder = new TempDir();
        await using (var sandbox = await StartStopped(program.Policy().Build(), program.Path, "1000000/1"))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            await sandbox.WaitAsync();
        }
        var file = folder["image/policy.toml"];
        switch (change)
        {
            case "missing": File.Delete(file); break;
            case "description":
                var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(folder["image/checkpoint.json"]))!.AsObject();
                Assert.True(json.Remove("policyBeyondFile"));
                File.WriteAllText(folder["image/checkpoint.json"], json.ToJsonString());
                break;
            case "unknown key": File.WriteAllText(file, "[filesystem]\nread_everything = true\n"); break;
            default: File.WriteAllText(file, "[filesystem]\nread = [\"/nonexistent/sandlock\"]\n"); break;
        }
        var refused = await Assert.ThrowsAnyAsync<SandlockException>(() => Sandbox.RestoreAsync(folder["image"]));
        Assert.Contains(named, refused.Message);
    }

    [Fact]
    public async Task An_open_file_the_restoring_policy_refuses_is_not_reopened()
    {
        using var folder = new TempDir();
        var records = folder.Write("secret/records", "r01\nr02\nr03\nr04\n");
        await using (var sandbox = await StartStopped(program.Policy().FsRead(folder["secret"]).Build(), program.Path, "4/1", "read", records))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            await sandbox.WaitAsync();
        }
        var refused = await Assert.ThrowsAsync<SandboxCheckpointException>(() => Sandbox.RestoreAsync(folder["image"], program.Policy().Build()));
        Assert.Contains($"reopening {records} as fd 3", refused.Message);
        Assert.Contains("Permission denied", refused.Message);
    }

    [Theory]
    [InlineData("thread", "2 threads")]
    [InlineData("socket", "is a socket")]
    [InlineData("pipe", "is a pipe")]
    [InlineData("fork", "has child processes")]
    [InlineData("handler", "signal handlers for signals 10")]
    [InlineData("pending", "signals 12 pending")]
    public async Task What_cannot_be_restored_is_refused_by_name(string mode, string named)
    {
        using var folder = new TempDir();
        await using (var sandbox = await StartStopped(program.Policy().Build(), program.Path, "100000/1", mode))
        {
            var refused = await Assert.ThrowsAsync<SandboxCheckpointException>(() => sandbox.CheckpointAsync(folder["image"]));
            Assert.Contains(named, refused.Message);
            Assert.False(Directory.Exists(folder["image"]), "a refused checkpoint left its folder");
            // The refused process is let go as it was, and ends as usual.
            sandbox.Kill();
            Assert.True((await sandbox.WaitAsync()).Status.Killed);
        }
    }

    [Fact]
    public async Task A_process_already_traced_is_refused_naming_its_tracer()
    {
        using var folder = new TempDir();
        await using var sandbox = await StartStopped(program.Policy().Build(), program.Path, "100000/1");
        var pid = sandbox.Pid!.Value;
        // Another tracer: a thread of this process seizes it first (a tracee has one tracer at a time).
        var seized = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource();
        var tracer = new Thread(() =>
        {
            seized.SetResult(Sandlock.Interop.Ptrace.Seize(pid, 0));
            release.Task.Wait();
            Sandlock.Interop.Ptrace.Detach(pid);
        });
        tracer.Start();
        try
        {
            Assert.Equal(0, await seized.Task);
            var refused = await Assert.ThrowsAsync<SandboxCheckpointException>(() => sandbox.CheckpointAsync(folder["image"]));
            // /proc names the tracing thread: one of this process's.
            var match = System.Text.RegularExpressions.Regex.Match(refused.Message, @"already traced by pid (\d+) \(another checkpoint or a debugger\)");
            Assert.True(match.Success, refused.Message);
            Assert.True(Directory.Exists($"/proc/self/task/{match.Groups[1].Value}"), refused.Message);
        }
        finally
        {
            release.SetResult();
            tracer.Join();
        }
    }

    [Fact]
    public async Task A_policy_whose_paths_differ_from_the_hosts_is_refused_by_setting_name()
    {
        using var folder = new TempDir();
        var refused = await Assert.ThrowsAsync<SandboxCheckpointException>(() =>
            Sandbox.RestoreAsync(folder.Path, program.Policy().TimeStart(DateTimeOffset.UnixEpoch).Build()));
        Assert.Contains("restore of a sandbox with time_start is not supported", refused.Message);
    }

    [Theory]
    [InlineData("kernel", "taken on kernel 0.0.0-other")]
    [InlineData("architecture", "a checkpoint of aarch64; only x86_64 can be restored")]
    [InlineData("format", "format 99; this version reads format 1")]
    [InlineData("memory.bin", "memory.bin is missing")]
    [InlineData("registers", "registers.bin is not 216 bytes")]
    [InlineData("truncated", "memory.bin: ")]
    public async Task A_checkpoint_from_elsewhere_or_incomplete_is_refused_before_anything_starts(string change, string named)
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        await using (var sandbox = await StartStopped(policy, program.Path, "1000000/1"))
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            await sandbox.WaitAsync();
        }
        var description = folder["image/checkpoint.json"];
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(description))!;
        switch (change)
        {
            case "kernel": json["kernel"] = "0.0.0-other"; break;
            case "architecture": json["architecture"] = "aarch64"; break;
            case "format": json["format"] = 99; break;
            case "registers": File.WriteAllBytes(folder["image/registers.bin"], new byte[100]); break;
            case "truncated":
                using (var memory = File.OpenWrite(folder["image/memory.bin"])) memory.SetLength(memory.Length / 2);
                break;
            default: File.Delete(folder["image/" + change]); break;
        }
        File.WriteAllText(description, json.ToJsonString());
        var refused = await Assert.ThrowsAsync<SandboxCheckpointException>(() => Sandbox.RestoreAsync(folder["image"], policy));
        Assert.Contains(named, refused.Message);
        if (change == "truncated") Assert.Contains($"{folder["image/memory.bin"]}: ", refused.Message);
        if (change == "truncated") Assert.Contains("the memory file is truncated", refused.Message);
        if (change is "kernel" or "architecture" or "format") Assert.Contains(description, refused.Message);
    }

    [Fact]
    public async Task A_folder_that_is_not_a_checkpoint_is_refused_naming_the_file()
    {
        using var folder = new TempDir();
        folder.Write("image/checkpoint.json", "{ \"format\": ");
        var refused = await Assert.ThrowsAsync<SandboxCheckpointException>(() => Sandbox.RestoreAsync(folder["image"], program.Policy().Build()));
        Assert.Contains(Path.Combine(folder["image"], "checkpoint.json"), refused.Message);
    }
}
