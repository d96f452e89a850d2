using Sandlock.Lifecycle;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Procfs;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Lifecycle;

/// <summary>
/// A session confines the child of its next command ahead: the command launched in it is confined and supervised as
/// any other, and the waiting child holds nothing of ours and outlives nothing.
/// </summary>
public sealed class PreparedChildTests : IDisposable
{
    private readonly LocalSandboxBackend _backend = new();
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private Task<SandboxResult> Exec(SandboxSession session, params string[] command) =>
        _backend.ExecAsync(session, new ExecRequest(command) { Timeout = TimeSpan.FromSeconds(60) });

    internal static Task<PreparedChild> NextPrepared(SandboxSession session) => Made(((LocalSession)session.BackendState!).NextPrepared);

    /// <summary>The child being prepared, once made; fails when none is being prepared or it could not be made.</summary>
    internal static async Task<PreparedChild> Made(Task<PreparedChild?>? next)
    {
        Assert.NotNull(next);
        var child = await next.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(child);
        return child;
    }

    [Fact]
    public async Task A_command_launched_in_a_prepared_child_is_confined_and_supervised()
    {
        _dir.Write("secret", "s3cret\n");
        _dir.Write("allowed/file", "allowed\n");
        var session = await _backend.ProvisionAsync(SystemOnly().FsRead(_dir["allowed"]).NetAllow("127.0.0.1:1").Build());
        try
        {
            AssertSucceeded(await Exec(session, "true"));
            for (var i = 0; i < 3; i++)
            {
                var prepared = await NextPrepared(session);
                var result = await Exec(session, "bash", "-c",
                    $"cat {_dir["allowed/file"]}; cat {_dir["secret"]} && echo LEAK; echo x > /dev/tcp/127.0.0.2/80 && echo LEAK; echo $$ $PPID");
                // bash -c runs the last command itself: $$ is the launched child's pid.
                Assert.Contains($"{prepared.Pid} ", result.StandardOutputText);
                Assert.Contains("allowed", result.StandardOutputText);
                Assert.DoesNotContain("LEAK", result.StandardOutputText);
                Assert.Contains("Permission denied", result.StandardErrorText);
                // The connect was held and refused by the supervisor attached at launch.
                Assert.Contains(result.Denials, d => d.Target.Contains("127.0.0.2", StringComparison.Ordinal));
            }
        }
        finally
        {
            await _backend.TerminateAsync(session);
        }
    }

    [Fact]
    public async Task The_first_command_runs_in_the_child_confined_at_provisioning_and_is_confined()
    {
        _dir.Write("secret", "s3cret\n");
        var session = await _backend.ProvisionAsync(SystemOnly().RecordFilesystemDenials(true).Build());
        try
        {
            var prepared = await NextPrepared(session);
            var result = await Exec(session, "sh", "-c", $"cat {_dir["secret"]} && echo LEAK; echo $$");
            Assert.Equal($"{prepared.Pid}\n", result.StandardOutputText);
            Assert.Contains("Permission denied", result.StandardErrorText);
            Assert.Contains(result.Denials, d => d.FilePath == _dir["secret"]);
        }
        finally
        {
            await _backend.TerminateAsync(session);
        }
    }

    [Fact]
    public async Task A_session_terminated_before_its_first_command_ends_the_child_confined_at_provisioning()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        var prepared = await NextPrepared(session);
        Assert.True(Alive(prepared.Pid));
        await _backend.TerminateAsync(session);
        await WaitUntil(() => !Alive(prepared.Pid));
    }

    [Fact]
    public async Task Termination_returns_only_once_every_child_prepared_ahead_is_reaped_even_one_still_being_made()
    {
        for (var round = 0; round < 20; round++)
        {
            // Changed and terminated at once: the child confined at provisioning is still being made when the change
            // discards it, and the termination finds none pending of its own (a command's next one: the leak tests).
            var session = await _backend.ProvisionAsync(SystemOnly().Build());
            var superseded = ((LocalSession)session.BackendState!).NextPrepared;
            await _backend.ApplyNetworkPolicyAsync(session, NetworkPolicy.None);
            await _backend.TerminateAsync(session);
            Assert.NotNull(superseded);
            Assert.True(superseded.IsCompleted);
            if (await superseded is { } child) Assert.Equal("gone", State(child.Pid));
        }
    }

    [Fact]
    public async Task A_command_with_inherited_stdio_is_launched_in_the_prepared_child_too()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().FsWrite(_dir.Path).Build());
        try
        {
            AssertSucceeded(await Exec(session, "true"));
            var prepared = await NextPrepared(session);
            var result = await _backend.ExecAsync(session, new ExecRequest(["sh", "-c", $"echo $$ > {_dir["pid"]}"]) { Stdio = StdioMode.Inherit });
            AssertSucceeded(result);
            Assert.Equal($"{prepared.Pid}\n", File.ReadAllText(_dir["pid"]));
        }
        finally
        {
            await _backend.TerminateAsync(session);
        }
    }

    [Fact]
    public async Task The_waiting_child_holds_only_its_stdio_and_two_channels()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        try
        {
            // Opened before the child is prepared: a copy kept by the child would hold this pipe open.
            using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
            AssertSucceeded(await Exec(session, "true"));
            var prepared = await NextPrepared(session);
            // Named once it has closed what it inherited, just before it waits.
            await WaitUntil(() => File.ReadAllText($"/proc/{prepared.Pid}/comm") == "sandlock-ready\n");
            var fds = Directory.GetFiles($"/proc/{prepared.Pid}/fd").Select(f => int.Parse(Path.GetFileName(f), System.Globalization.CultureInfo.InvariantCulture)).Order().ToArray();
            Assert.Equal([0, 1, 2], fds[..3]);
            Assert.Equal(5, fds.Length);
            var ours = new FileInfo($"/proc/self/fd/{pipe.ClientSafePipeHandle.DangerousGetHandle()}").LinkTarget;
            Assert.StartsWith("pipe:", ours);
            Assert.DoesNotContain(ours, fds.Select(fd => new FileInfo($"/proc/{prepared.Pid}/fd/{fd}").LinkTarget));
        }
        finally
        {
            await _backend.TerminateAsync(session);
        }
    }

    [Fact]
    public async Task Terminating_and_changing_the_policy_end_the_waiting_child()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        AssertSucceeded(await Exec(session, "true"));
        var first = await NextPrepared(session);
        Assert.True(Alive(first.Pid));

        await _backend.ApplyNetworkPolicyAsync(session, NetworkPolicy.None);
        await WaitUntil(() => !Alive(first.Pid));
        AssertSucceeded(await Exec(session, "true"));
        var second = await NextPrepared(session);
        Assert.True(Alive(second.Pid));

        await _backend.TerminateAsync(session);
        await WaitUntil(() => !Alive(second.Pid));
    }

    [Fact]
    public async Task A_policy_set_up_per_command_before_its_confinement_gets_no_prepared_child()
    {
        // max_processes: a pids cgroup (root) or a user namespace (anyone else) made for each command first.
        var session = await _backend.ProvisionAsync(SystemOnly().MaxProcesses(20).Build());
        try
        {
            for (var i = 0; i < 2; i++) AssertSucceeded(await Exec(session, "true"));
            Assert.Null(((LocalSession)session.BackendState!).NextPrepared);
        }
        finally
        {
            await _backend.TerminateAsync(session);
        }
    }

    [Fact]
    public async Task A_command_refused_before_launch_ends_the_prepared_child_and_the_next_one_runs()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        try
        {
            AssertSucceeded(await Exec(session, "true"));
            var prepared = await NextPrepared(session);
            var refused = await Assert.ThrowsAsync<ArgumentException>(() => Exec(session, "echo", "a\0b"));
            Assert.Contains("NUL", refused.Message);
            await WaitUntil(() => !Alive(prepared.Pid));
            var next = await NextPrepared(session);
            var result = await Exec(session, "sh", "-c", "echo $$");
            AssertSucceeded(result);
            Assert.Equal($"{next.Pid}\n", result.StandardOutputText);
        }
        finally
        {
            await _backend.TerminateAsync(session);
        }
    }

    [Fact]
    public async Task A_waiting_child_killed_from_outside_does_not_fail_the_next_command()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        try
        {
            AssertSucceeded(await Exec(session, "true"));
            var prepared = await NextPrepared(session);
            System.Diagnostics.Process.GetProcessById(prepared.Pid).Kill();
            var result = await Exec(session, "sh", "-c", "echo started");
            AssertSucceeded(result);
            Assert.Equal("started\n", result.StandardOutputText);
        }
        finally
        {
            await _backend.TerminateAsync(session);
        }
    }

    [Fact]
    public async Task A_launched_command_reads_the_sessions_virtual_clock()
    {
        var start = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);
        var provisioned = System.Diagnostics.Stopwatch.StartNew();
        // The session's clock starts at provisioning and runs on for all its commands.
        var session = await _backend.ProvisionAsync(SystemOnly().TimeStart(start).Build());
        try
        {
            AssertSucceeded(await Exec(session, "true"));
            await NextPrepared(session);
            await Task.Delay(TimeSpan.FromSeconds(2));
            var result = await Exec(session, "date", "-u", "+%s");
            AssertSucceeded(result);
            var seen = long.Parse(result.StandardOutputText.Trim(), System.Globalization.CultureInfo.InvariantCulture) - start.ToUnixTimeSeconds();
            Assert.InRange(seen, 1, (long)provisioned.Elapsed.TotalSeconds + 1);
        }
        finally
        {
            await _backend.TerminateAsync(session);
        }
    }
}
