using System.Diagnostics;
using System.Net.Sockets;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

/// <summary>
/// What a sandbox can reach outside itself, through the CLI as root and as nobody: a host process's limits, nice,
/// affinity and I/O priority, the CLI itself, and a host unix socket in a folder the policy does not let it write.
/// </summary>
public sealed class ProcessReachTests(UnprivilegedTests.UnprivilegedCli cli) : IClassFixture<UnprivilegedTests.UnprivilegedCli>
{
    private static readonly string[] System = ["-r", "/usr", "-r", "/lib", "-r", "/lib64", "-r", "/bin"];

    private Task<Outcome> Sandlock(bool unprivileged, params string[] args) =>
        unprivileged ? cli.Run(args) : Run(args);

    /// <summary>A sleep of the same user as the sandbox, so only the sandbox stands between them.</summary>
    private static Process HostSleep(bool unprivileged)
    {
        var info = new ProcessStartInfo(unprivileged && Environment.UserName == "root" ? "/usr/bin/setpriv" : "sleep");
        foreach (var arg in unprivileged && Environment.UserName == "root" ? ["--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "120"] : new[] { "120" })
            info.ArgumentList.Add(arg);
        return Process.Start(info)!;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_host_process_keeps_its_limits_nice_affinity_and_io_priority(bool unprivileged)
    {
        using var sleep = HostSleep(unprivileged);
        try
        {
            var limits = File.ReadAllText($"/proc/{sleep.Id}/limits");
            var status = File.ReadAllText($"/proc/{sleep.Id}/stat").Split(')')[1];
            var pid = sleep.Id.ToString();
            foreach (var command in new[] { $"prlimit --pid {pid} --cpu=1", $"renice -n 10 -p {pid}", $"taskset -p -c 0 {pid}", $"ionice -c 3 -p {pid}" })
            {
                var r = await Sandlock(unprivileged, ["run", .. System, "--", "sh", "-c", command]);
                Assert.NotEqual(0, r.ExitCode);
                Assert.Contains("No such process", r.Stderr);
                Assert.Contains("sandlock: the sandbox denied", r.Stderr);
            }
            Assert.Equal(limits, File.ReadAllText($"/proc/{sleep.Id}/limits"));
            Assert.Equal(status.Split(' ')[17], File.ReadAllText($"/proc/{sleep.Id}/stat").Split(')')[1].Split(' ')[17]);
        }
        finally
        {
            sleep.Kill();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_sandbox_reaches_its_own_processes_but_not_the_cli(bool unprivileged)
    {
        var own = await Sandlock(unprivileged, "run", "--", "sh", "-c",
            "sleep 30 & p=$!; prlimit --pid $p --cpu=100 && renice -n 5 -p $p >/dev/null && taskset -p -c 0 $p >/dev/null && ionice -c 3 -p $p && echo reached; kill $p");
        Assert.Equal(0, own.ExitCode);
        Assert.Equal("reached\n", own.Stdout);
        var cliProcess = await Sandlock(unprivileged, "run", "--", "sh", "-c", "renice -n 0 -p $PPID");
        Assert.NotEqual(0, cliProcess.ExitCode);
        Assert.Contains("No such process", cliProcess.Stderr);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_host_unix_socket_needs_a_write_rule_on_its_folder(bool unprivileged)
    {
        var program = CPrograms.Build("Supervision/unix.c", Path.Combine(cli.Work, $"unix-{Guid.NewGuid():N}"));
        var host = Directory.CreateTempSubdirectory("sandlock-host-socket-").FullName;
        File.SetUnixFileMode(host, (UnixFileMode)0b111_111_111);
        var path = Path.Combine(host, "server.sock");
        using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            server.Bind(new UnixDomainSocketEndPoint(path));
            server.Listen(1);
            File.SetUnixFileMode(path, (UnixFileMode)0b111_111_111);
            var refused = await Sandlock(unprivileged, ["run", .. System, "-r", program, "-w", cli.Work, "--", program, "connect", path]);
            Assert.Equal("connect EACCES\n", refused.Stdout);
            Assert.Contains($"unix socket {path}", refused.Stderr);
            Assert.Contains($"-w {host}", refused.Stderr);
            Assert.False(server.Poll(0, SelectMode.SelectRead));

            var allowed = await Sandlock(unprivileged, ["run", .. System, "-r", program, "-w", host, "--", program, "connect", path]);
            Assert.Equal("connect ok\n", allowed.Stdout);
            using var accepted = await server.AcceptAsync();
        }
        finally
        {
            Directory.Delete(host, true);
            File.Delete(program);
        }
    }
}
