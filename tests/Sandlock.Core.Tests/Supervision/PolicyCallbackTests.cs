using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Sandlock.Lifecycle;
using Sandlock.Supervision.Dynamic;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

public sealed class PolicyCallbackTests
{
    private static async Task<SandboxResult> RunWith(PolicyCallback callback, SandboxPolicyBuilder builder, params string[] command)
    {
        await using var sandbox = new Sandbox(builder.Build(), command) { PolicyCallback = callback, Timeout = TimeSpan.FromSeconds(60) };
        sandbox.Start();
        return await sandbox.WaitAsync();
    }

    [Fact]
    public async Task A_callback_denies_execve_of_one_program_by_its_argv()
    {
        var seen = new ConcurrentQueue<SyscallActivity>();
        PolicyVerdict Callback(SyscallActivity activity, LivePolicy live)
        {
            seen.Enqueue(activity);
            return activity.Category == ActivityCategory.Process && activity.Argv is ["uname", "-r", ..]
                ? PolicyVerdict.Deny()
                : PolicyVerdict.Allow;
        }
        var result = await RunWith(Callback, SystemOnly(), "sh", "-c", "uname -s; uname -r; echo done");
        Assert.Equal("Linux\ndone\n", result.StandardOutputText);
        Assert.Contains(result.Denials, d => d.Syscall == "execve" && d.Target == "execve uname -r" && d.Rule == "denied by the policy callback");
        var exec = Assert.Single(seen, a => a.Argv is ["uname", "-s"]);
        Assert.EndsWith("/uname", exec.Path);
        Assert.NotEqual(0, exec.ParentPid);
    }

    [Fact]
    public async Task A_callback_can_tighten_the_live_policy_but_not_open_what_the_static_policy_closes()
    {
        using var dir = new TempDir();
        var secret = dir.Write("secret", "s");
        var other = dir.Write("other", "o");
        PolicyVerdict Callback(SyscallActivity activity, LivePolicy live)
        {
            // After the first file is read, the other one is closed for the rest of the run.
            if (activity.Category == ActivityCategory.File && activity.Path == other) live.DenyPath(secret);
            return PolicyVerdict.Allow;
        }
        var result = await RunWith(Callback, SystemOnly().FsRead(dir.Path), "sh", "-c", $"cat {secret}; cat {other}; cat {secret}; cat /etc/hostname");
        Assert.Equal("so", result.StandardOutputText);
        Assert.Contains(result.Denials, d => d.Target == secret && d.Rule.Contains("run time"));
        Assert.Contains("/etc/hostname: Permission denied", result.StandardErrorText);
    }

    [Fact]
    public async Task A_callback_sees_and_can_refuse_network_destinations_the_static_rules_allow()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var audited = 0;
        PolicyVerdict Callback(SyscallActivity activity, LivePolicy live)
        {
            if (activity.Category != ActivityCategory.Network) return PolicyVerdict.Allow;
            if (Interlocked.Increment(ref audited) == 1) return PolicyVerdict.Audit;
            live.CloseNetwork();
            return PolicyVerdict.Deny();
        }
        var script = $"echo > /dev/tcp/127.0.0.1/{port} && echo first; echo > /dev/tcp/127.0.0.1/{port} && echo second; echo > /dev/tcp/127.0.0.1/{port} && echo third";
        var result = await RunWith(Callback, SystemOnly().NetAllow($":{port}"), "bash", "-c", script);
        Assert.Equal("first\n", result.StandardOutputText);
        Assert.Contains(result.Denials, d => d.Rule.StartsWith("audited"));
        Assert.Contains(result.Denials, d => d.Rule == "denied by the policy callback");
        Assert.Contains(result.Denials, d => d.Rule == "denied at run time by the policy callback");
        listener.Stop();
    }

    [Fact]
    public async Task The_command_itself_is_shown_and_can_be_refused()
    {
        var error = await Assert.ThrowsAsync<SandboxSetupException>(() =>
            RunWith((activity, _) => activity.Argv is ["sh", ..] ? PolicyVerdict.Deny(1) : PolicyVerdict.Allow, SystemOnly(), "sh", "-c", "true"));
        Assert.Equal(SetupFailure.CommandNotExecutable, error.Failure);
    }

    [Fact]
    public async Task A_callback_that_throws_kills_the_sandbox()
    {
        PolicyVerdict Buggy(SyscallActivity activity, LivePolicy live) =>
            activity.Path == "/dev/null" ? throw new InvalidOperationException("bug") : PolicyVerdict.Allow;
        var result = await RunWith(Buggy, SystemOnly(), "sh", "-c", "cat /dev/null; sleep 30");
        Assert.True(result.Status.Killed);
        Assert.Contains(result.Denials, d => d.Rule.Contains("supervisor fault"));
    }
}
