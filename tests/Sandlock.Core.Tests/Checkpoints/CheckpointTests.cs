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

    /// <summary>Starts the counter and returns once it has printed <paramref name="lines"/> lines.</summary>
    private static async Task<(Sandbox Sandbox, Func<string> Output)> StartCounting(SandboxPolicy policy, int lines, params string[] command)
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
        return (sandbox, () => { lock (output) return output.ToString(); });
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static int Count(string line) => int.Parse(line.Split(' ')[0]);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_counter_checkpointed_at_N_killed_and_restored_continues_from_N(bool linkedStatically)
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        var (sandbox, _) = await StartCounting(policy, 3, linkedStatically ? program.StaticPath : program.Path, "12");
        await using (sandbox)
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            var original = await sandbox.WaitAsync();
            Assert.True(original.Status.Killed, $"the original was not killed: {original.Status}");
            var last = Count(Lines(original.StandardOutputText)[^1]);

            await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
            var result = await restored.WaitAsync();
            AssertSucceeded(result);
            var expected = Enumerable.Range(last + 1, 12 - last).Select(n => n.ToString());
            Assert.Equal(expected, Lines(result.StandardOutputText));
        }
    }

    [Fact]
    public async Task A_checkpoint_can_be_restored_twice_and_the_original_runs_on()
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        var (sandbox, _) = await StartCounting(policy, 2, program.Path, "6");
        await using (sandbox)
        {
            await sandbox.CheckpointAsync(folder["image"]);
            var original = await sandbox.WaitAsync();
            AssertSucceeded(original);
            Assert.Equal(["1", "2", "3", "4", "5", "6"], Lines(original.StandardOutputText));
        }
        foreach (var _ in Enumerable.Range(0, 2))
        {
            await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
            var result = await restored.WaitAsync();
            AssertSucceeded(result);
            Assert.Equal("6", Lines(result.StandardOutputText)[^1]);
        }
    }

    [Fact]
    public async Task A_paused_sandbox_is_checkpointed_and_stays_paused()
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        var (sandbox, _) = await StartCounting(policy, 2, program.Path, "6");
        await using (sandbox)
        {
            sandbox.Pause();
            await sandbox.CheckpointAsync(folder["image"]);
            // Detached from a group stop, it stops again on its own; it must not have run on.
            SpinWait.SpinUntil(() => Procfs.State(sandbox.Pid!.Value) != "R", TimeSpan.FromSeconds(30));
            Assert.Equal("T", Procfs.State(sandbox.Pid!.Value));
            sandbox.Resume();
            var original = await sandbox.WaitAsync();
            AssertSucceeded(original);
            Assert.Equal(["1", "2", "3", "4", "5", "6"], Lines(original.StandardOutputText));

            await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
            var result = await restored.WaitAsync();
            AssertSucceeded(result);
            var lines = Lines(result.StandardOutputText);
            var first = Count(lines[0]);
            Assert.InRange(first, 3, 6);
            Assert.Equal(Enumerable.Range(first, 7 - first).Select(n => n.ToString()), lines);
        }
    }

    [Fact]
    public async Task The_restored_process_has_the_saved_address_space_and_nothing_of_the_stub()
    {
        using var folder = new TempDir();
        var policy = program.Policy().Build();
        var (sandbox, _) = await StartCounting(policy, 2, program.Path, "1000000");
        await using (sandbox)
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
        var (sandbox, _) = await StartCounting(policy, 3, program.Path, "40", "alloc");
        await using (sandbox)
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            var last = Count(Lines((await sandbox.WaitAsync()).StandardOutputText)[^1]);

            await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
            var result = await restored.WaitAsync();
            AssertSucceeded(result);
            Assert.Equal(Enumerable.Range(last + 1, 40 - last).Select(n => $"{n} alloc:ok"), Lines(result.StandardOutputText));
        }
    }

    [Fact]
    public async Task An_open_file_is_reopened_at_its_offset()
    {
        using var folder = new TempDir();
        var records = folder.Write("records", string.Concat(Enumerable.Range(1, 10).Select(n => $"r{n:00}\n")));
        var policy = program.Policy().FsRead(folder.Path).Build();
        var (sandbox, _) = await StartCounting(policy, 3, program.Path, "10", "read", records);
        await using (sandbox)
        {
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            var original = Lines((await sandbox.WaitAsync()).StandardOutputText);
            var last = Count(original[^1]);
            Assert.Equal($"{last} r{last:00}", original[^1]);

            await using var restored = await Sandbox.RestoreAsync(folder["image"], policy);
            var result = await restored.WaitAsync();
            AssertSucceeded(result);
            Assert.Equal(Enumerable.Range(last + 1, 10 - last).Select(n => $"{n} r{n:00}"), Lines(result.StandardOutputText));
        }
    }

    [Fact]
    public async Task A_restored_process_is_confined_by_the_restoring_policy()
    {
        using var folder = new TempDir();
        var secret = folder.Write("secret/key", "k");
        var (sandbox, output) = await StartCounting(program.Policy().FsRead(folder["secret"]).Build(), 2, program.Path, "8", "probe", secret);
        await using (sandbox)
        {
            // Saved by a sandbox that may read the secret, so the memory image holds a process that just did.
            Assert.Contains("open:ok unshare:Operation not permitted", output());
            await sandbox.CheckpointAsync(folder["image"], thenKill: true);
            await sandbox.WaitAsync();

            await using var restored = await Sandbox.RestoreAsync(folder["image"], program.Policy().Build());
            var result = await restored.WaitAsync();
            AssertSucceeded(result);
            var lines = Lines(result.StandardOutputText);
            Assert.NotEmpty(lines);
            Assert.All(lines, line => Assert.EndsWith(" open:Permission denied unshare:Operation not permitted", line));
        }
    }

    [Fact]
    public async Task An_open_file_the_restoring_policy_refuses_is_not_reopened()
    {
        using var folder = new TempDir();
        var records = folder.Write("secret/records", "r01\nr02\nr03\nr04\n");
        var (sandbox, _) = await StartCounting(program.Policy().FsRead(folder["secret"]).Build(), 1, program.Path, "4", "read", records);
        await using (sandbox)
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
    public async Task What_cannot_be_restored_is_refused_by_name(string mode, string named)
    {
        using var folder = new TempDir();
        var (sandbox, _) = await StartCounting(program.Policy().Build(), 1, program.Path, "100000", mode);
        await using (sandbox)
        {
            var refused = await Assert.ThrowsAsync<SandboxCheckpointException>(() => sandbox.CheckpointAsync(folder["image"]));
            Assert.Contains(named, refused.Message);
            Assert.False(Directory.Exists(folder["image"]), "a refused checkpoint left its folder");
            // Refusing let the process go on: it is still running and can be stopped as usual.
            sandbox.Kill();
            Assert.True((await sandbox.WaitAsync()).Status.Killed);
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

    [Fact]
    public async Task A_folder_that_is_not_a_checkpoint_is_refused_naming_the_file()
    {
        using var folder = new TempDir();
        folder.Write("image/checkpoint.json", "{ \"format\": ");
        var refused = await Assert.ThrowsAsync<SandboxCheckpointException>(() => Sandbox.RestoreAsync(folder["image"], program.Policy().Build()));
        Assert.Contains(Path.Combine(folder["image"], "checkpoint.json"), refused.Message);
    }
}
