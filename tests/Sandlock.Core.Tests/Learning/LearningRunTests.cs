using System.Net;
using System.Net.Sockets;
using Sandlock.Lifecycle;
using Sandlock.Policy.Learning;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Learning;

/// <summary>
/// An observed run on the real kernel: what the command opens, executes, changes and connects to is recorded as
/// host paths and addresses, relative paths found from its working directory; the user's own restrictions still hold.
/// </summary>
public sealed class LearningRunTests : IDisposable
{
    private readonly TempDir _dir = new();

    public LearningRunTests()
    {
        _dir.Write("in.txt", "in");
        _dir.Write("sub/listed.txt", "");
        _dir.Write("outside/secret.txt", "secret");
    }

    public void Dispose() => _dir.Dispose();

    private static Task<(SandboxResult Result, ObservedRun Run)> Learn(SandboxPolicyBuilder policy, string script) =>
        LearningRun.RunAsync(policy.Build(), ["/bin/sh", "-c", script], TimeSpan.FromSeconds(60));

    private static string Real(string path) => Interop.LibcPaths.RealPath(path)!;

    [Fact]
    public async Task Reads_listings_executions_and_changes_are_recorded_from_the_working_directory()
    {
        var (result, run) = await Learn(new SandboxPolicyBuilder().Cwd(_dir.Path), "cat in.txt; ls sub >/dev/null; echo x > out.txt; mkdir made; cd sub && cat ../in.txt >/dev/null");

        AssertSucceeded(result);
        Assert.Equal("in", result.StandardOutputText);
        Assert.Contains(new ObservedPath(_dir["in.txt"], PathUse.Read, "cat"), run.Paths);
        Assert.Contains(new ObservedPath(_dir["sub"], PathUse.List, "ls"), run.Paths);
        Assert.Contains(new ObservedPath(_dir.Path, PathUse.ChangeIn, "sh", "out.txt"), run.Paths);
        Assert.Contains(new ObservedPath(_dir.Path, PathUse.ChangeIn, "mkdir", "made"), run.Paths);
        Assert.Contains(run.Paths, p => p.Path == Real("/bin/cat") && p.Use == PathUse.Execute);
        // The loader, which the kernel opens itself for every dynamic program.
        Assert.Contains(run.Paths, p => p.Use == PathUse.Execute && Path.GetFileName(p.Path).StartsWith("ld-", StringComparison.Ordinal));
        Assert.Contains(Real("/bin/cat"), run.Programs);
        Assert.DoesNotContain(run.Paths, p => p.Path.Contains("secret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Peaks_count_the_tasks_and_memory_of_the_run()
    {
        var (result, run) = await Learn(new SandboxPolicyBuilder(), "cat /etc/hostname >/dev/null & wait");

        AssertSucceeded(result);
        Assert.True(run.PeakTasks >= 2, $"peak tasks {run.PeakTasks}");
        Assert.True(run.PeakResidentBytes > 0);
        Assert.True(run.PeakProcessDataBytes > 0);
    }

    [Fact]
    public async Task Without_network_rules_the_network_is_open_and_destinations_are_recorded()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var (result, run) = await LearningRun.RunAsync(SystemOnly().FsRead("/etc").Build(), ["bash", "-c", $"echo hi > /dev/tcp/127.0.0.1/{port}"], TimeSpan.FromSeconds(60));

        AssertSucceeded(result);
        var destination = Assert.Single(run.Destinations);
        Assert.Equal((NetProtocol.Tcp, IPAddress.Loopback, (ushort)port, "bash"), (destination.Protocol, destination.Address, destination.Port, destination.Program));
    }

    [Fact]
    public async Task The_users_own_restrictions_still_apply()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var policy = SystemOnly().FsRead("/etc").FsRead(_dir["sub"]).NetAllow("127.0.0.1:1");

        var (files, _) = await Learn(policy, $"cat {_dir["outside/secret.txt"]}");
        var (network, _) = await LearningRun.RunAsync(policy.Build(), ["bash", "-c", $"echo hi > /dev/tcp/127.0.0.1/{port}"], TimeSpan.FromSeconds(60));

        AssertDenied(files);
        Assert.NotEqual(0, network.ExitCode);
    }
}
