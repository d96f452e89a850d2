using System.Net;
using System.Net.Sockets;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Lifecycle;

/// <summary>What a local session decides once and what each exec, mount and network change does to it.</summary>
public sealed class SessionTests : IDisposable
{
    private readonly LocalSandboxBackend _backend = new();
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly TempDir _dir = new();

    public SessionTests() => _listener.Start();

    public void Dispose()
    {
        _listener.Stop();
        _dir.Dispose();
    }

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private string Connect => $"echo hi > /dev/tcp/127.0.0.1/{Port}";

    private Task<SandboxResult> Exec(SandboxSession session, params string[] command) =>
        _backend.ExecAsync(session, new ExecRequest(command) { Timeout = TimeSpan.FromSeconds(60) });

    [Theory]
    [InlineData("port rule (Landlock)", ":{0}")]
    [InlineData("address rule (supervisor)", "127.0.0.1:{0}")]
    public async Task A_command_after_tightening_cannot_connect_where_one_before_could(string kind, string rule)
    {
        Assert.NotEmpty(kind);
        var session = await _backend.ProvisionAsync(SystemOnly().NetAllow(string.Format(System.Globalization.CultureInfo.InvariantCulture, rule, Port)).Build());
        await using var _ = Terminating(session);
        var accepted = _listener.AcceptTcpClientAsync();
        AssertSucceeded(await Exec(session, "bash", "-c", Connect));
        using (await accepted) { }

        await _backend.ApplyNetworkPolicyAsync(session, new NetworkPolicy([":1"]));
        AssertDenied(await Exec(session, "bash", "-c", Connect));
    }

    [Fact]
    public async Task Loosening_the_network_reaches_commands_started_afterwards()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        await using var _ = Terminating(session);
        AssertDenied(await Exec(session, "bash", "-c", Connect));

        await _backend.ApplyNetworkPolicyAsync(session, new NetworkPolicy([$":{Port}"]));
        var accepted = _listener.AcceptTcpClientAsync();
        AssertSucceeded(await Exec(session, "bash", "-c", Connect));
        using (await accepted) { }
    }

    [Fact]
    public async Task A_running_supervised_command_is_narrowed_live()
    {
        var go = _dir["go"];
        var session = await _backend.ProvisionAsync(SystemOnly().FsRead(_dir.Path).NetAllow($"127.0.0.1:{Port}").Build());
        await using var _ = Terminating(session);
        // Connects once before and once after the policy changes: the change waits for the first connect.
        var accepted = _listener.AcceptTcpClientAsync();
        var running = Exec(session, "bash", "-c", $"{Connect} || exit 3; while [ ! -e {go} ]; do sleep 0.02; done; {Connect} || exit 4");
        using (await accepted) { }
        await _backend.ApplyNetworkPolicyAsync(session, NetworkPolicy.None);
        File.WriteAllText(go, "");
        var result = await running;
        Assert.Equal(4, result.ExitCode);
        Assert.Contains(result.Denials, d => d.Rule.Contains("newer network policy", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_attached_mount_is_visible_to_the_next_exec_only()
    {
        _dir.Write("shared/file", "shared\n");
        File.SetUnixFileMode(_dir["shared"], (UnixFileMode)0b111_101_101);
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        await using var _ = Terminating(session);
        Assert.NotEqual(0, (await Exec(session, "cat", "/mnt/session/file")).ExitCode);

        var attached = await _backend.AttachFilesystemAsync(session, new FilesystemMount("/mnt/session", _dir["shared"]));
        Assert.Contains(attached.Policy.FsMounts, m => m.VirtualPath == "/mnt/session");
        var result = await Exec(session, "cat", "/mnt/session/file");
        AssertSucceeded(result);
        Assert.Equal("shared\n", result.StandardOutputText);
    }

    [Fact]
    public async Task A_mount_of_a_missing_folder_is_refused_and_changes_nothing()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        await using var _ = Terminating(session);
        await Assert.ThrowsAnyAsync<SandlockException>(() => _backend.AttachFilesystemAsync(session, new FilesystemMount("/mnt/x", _dir["missing"])));
        AssertSucceeded(await Exec(session, "true"));
    }

    [Fact]
    public async Task Every_command_of_a_session_starts_with_the_environment_as_it_was_provisioned()
    {
        var name = $"SANDLOCK_SESSION_ENV_{Guid.NewGuid():N}";
        Environment.SetEnvironmentVariable(name, "at-provisioning");
        try
        {
            var session = await _backend.ProvisionAsync(SystemOnly().Build());
            await using var _ = Terminating(session);
            // Changed before the session's first command: the commands still see what was there when it was provisioned.
            Environment.SetEnvironmentVariable(name, "changed-later");
            for (var i = 0; i < 2; i++)
            {
                var result = await Exec(session, "sh", "-c", $"echo \"${name}\"");
                AssertSucceeded(result);
                Assert.Equal("at-provisioning\n", result.StandardOutputText);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public async Task The_session_temp_folder_is_writable_and_goes_with_the_session()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        var temp = session.TempFolder;
        Assert.NotNull(temp);
        try
        {
            var result = await Exec(session, "sh", "-c", "echo kept > \"$TMPDIR/f\" && cat \"$TMPDIR/f\"");
            AssertSucceeded(result);
            Assert.Equal("kept\n", result.StandardOutputText);
            Assert.Equal("kept\n", await Exec(session, "cat", $"{temp}/f") is { } again ? again.StandardOutputText : null);
        }
        finally
        {
            await _backend.TerminateAsync(session);
        }
        Assert.False(Directory.Exists(temp));
    }

    [Fact]
    public async Task A_terminated_session_refuses_every_call_with_a_clear_error()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        await _backend.TerminateAsync(session);
        await _backend.TerminateAsync(session);
        var exec = await Assert.ThrowsAsync<SandboxSessionException>(() => Exec(session, "true"));
        Assert.Equal($"session {session.Id} has been terminated: it cannot run a command; provision a new session", exec.Message);
        await Assert.ThrowsAsync<SandboxSessionException>(() => _backend.AttachFilesystemAsync(session, new FilesystemMount("/mnt/x", "/usr")));
        await Assert.ThrowsAsync<SandboxSessionException>(() => _backend.ApplyNetworkPolicyAsync(session, NetworkPolicy.None));
        await Assert.ThrowsAsync<SandboxSessionException>(() => _backend.ResumeAsync(session));
    }

    [Fact]
    public async Task Terminating_kills_what_still_runs()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        var running = Exec(session, "sleep", "600");
        await _backend.TerminateAsync(session);
        var result = await running;
        Assert.True(result.Status.Killed);
    }

    [Fact]
    public async Task A_suspended_session_takes_no_command_until_resumed()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        await using var _ = Terminating(session);
        await _backend.SuspendAsync(session);
        var refused = await Assert.ThrowsAsync<SandboxSessionException>(() => Exec(session, "true"));
        Assert.Contains("suspended", refused.Message);
        var resumed = await _backend.ResumeAsync(session);
        Assert.Equal(SandboxSessionState.Live, resumed.State);
        AssertSucceeded(await Exec(session, "true"));
    }

    [Fact]
    public async Task A_snapshot_is_refused_naming_what_is_missing()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().Build());
        await using var _ = Terminating(session);
        var error = await Assert.ThrowsAsync<SandboxSessionException>(() => _backend.SnapshotAsync(session));
        Assert.Contains("CRIU", error.Message);
        Assert.False(_backend.Capabilities.Snapshot);
    }

    [Fact]
    public async Task A_policy_the_kernel_cannot_enforce_is_refused_at_provisioning_and_leaves_no_temp_folder()
    {
        static HashSet<string> SessionFolders() => [.. Directory.GetDirectories(Path.GetTempPath(), "sandlock-session-*")];
        var before = SessionFolders();
        var policy = SystemOnly().NoSupervisor().RandomSeed(1).Build();
        await Assert.ThrowsAsync<SandboxSetupException>(() => _backend.ProvisionAsync(policy));
        // Tests running beside this one (other classes, other test processes) provision sessions in the same temp
        // directory: a folder that appeared meanwhile must go once its session ends; a leaked one never goes.
        var appeared = SessionFolders();
        appeared.ExceptWith(before);
        for (var waited = 0; appeared.Count > 0 && waited < 300; waited++)
        {
            await Task.Delay(100);
            appeared.RemoveWhere(folder => !Directory.Exists(folder));
        }
        Assert.Empty(appeared);
    }

    private AsyncTerminator Terminating(SandboxSession session) => new(_backend, session);

    private sealed class AsyncTerminator(LocalSandboxBackend backend, SandboxSession session) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await backend.TerminateAsync(session);
    }
}
