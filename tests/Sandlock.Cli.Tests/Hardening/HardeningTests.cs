using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests.Hardening;

/// <summary>
/// The escapes of the hardening review (socket protocols and families, device nodes, capabilities, listen without
/// bind), attempted through the CLI as the suite's user (root here) and as nobody, each beside its allowed case.
/// </summary>
public sealed class HardeningTests : IClassFixture<UnprivilegedTests.UnprivilegedCli>
{
    private readonly UnprivilegedTests.UnprivilegedCli _cli;
    private readonly string _escapes;

    public HardeningTests(UnprivilegedTests.UnprivilegedCli cli)
    {
        _cli = cli;
        _escapes = Path.Combine(cli.Folder, "escapes");
        lock (cli)
        {
            if (!File.Exists(_escapes)) Compile(_escapes);
        }
    }

    public static TheoryData<bool> Users => [false, true];

    private static void Compile(string output)
    {
        var info = new ProcessStartInfo("gcc") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-O", "-Wall", "-Werror", "-o", output, Path.Combine(AppContext.BaseDirectory, "Hardening", "escapes.c") })
            info.ArgumentList.Add(a);
        using var gcc = Process.Start(info)!;
        var errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        Assert.True(gcc.ExitCode == 0, $"gcc: {errors}");
        File.SetUnixFileMode(output, (UnixFileMode)0b111_101_101);
    }

    private Task<Outcome> Sandlock(bool asNobody, params string[] args) => asNobody ? _cli.Run(args) : Run(args);

    private Task<Outcome> Escape(bool asNobody, string[] flags, params string[] attempt) =>
        Sandlock(asNobody, ["run", .. flags, "--", _escapes, .. attempt]);

    /// <summary>A folder both users may write, for device nodes and FIFOs.</summary>
    private string WritableFolder()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_cli.Work, Guid.NewGuid().ToString("N"))).FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);
        return folder;
    }

    [Theory, MemberData(nameof(Users))]
    public async Task Mptcp_cannot_reach_a_port_that_tcp_may_not(bool asNobody)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString();

        var other = await Escape(asNobody, ["--net-allow", ":1"], "mptcp-connect", port);
        Assert.Equal("socket: Protocol not supported\n", other.Stdout);
        var none = await Escape(asNobody, [], "mptcp-listen", "0");
        Assert.Equal("socket: Protocol not supported\n", none.Stdout);

        var tcpDenied = await Escape(asNobody, ["--net-allow", ":1"], "tcp-connect", port);
        Assert.Equal("connect: Permission denied\n", tcpDenied.Stdout);
        var tcpAllowed = await Escape(asNobody, ["--net-allow", $":{port}"], "tcp-connect", port);
        Assert.Equal("connect: ok\n", tcpAllowed.Stdout);
    }

    [Theory, MemberData(nameof(Users))]
    public async Task Only_unix_ip_and_routing_netlink_sockets_can_be_made(bool asNobody)
    {
        const string afVsock = "40", afXdp = "44", afAlg = "38", afNetlink = "16", sockRaw = "3", sockStream = "1", sockSeqpacket = "5";
        Assert.Equal("socket: Address family not supported by protocol\n", (await Escape(asNobody, [], "socket", afVsock, sockStream, "0")).Stdout);
        Assert.Equal("socket: Address family not supported by protocol\n", (await Escape(asNobody, [], "socket", afXdp, sockRaw, "0")).Stdout);
        Assert.Equal("socket: Address family not supported by protocol\n", (await Escape(asNobody, [], "socket", afAlg, sockSeqpacket, "0")).Stdout);
        Assert.Equal("socket: Protocol not supported\n", (await Escape(asNobody, [], "socket", afNetlink, sockRaw, "4" /* NETLINK_SOCK_DIAG */)).Stdout);
        Assert.Equal("socket: ok\n", (await Escape(asNobody, [], "socket", afNetlink, sockRaw, "0" /* NETLINK_ROUTE */)).Stdout);
        Assert.Equal("socket: ok\n", (await Escape(asNobody, [], "socket", "1" /* AF_UNIX */, sockStream, "0")).Stdout);
        Assert.Equal("socket: ok\n", (await Escape(asNobody, [], "socket", "10" /* AF_INET6 */, sockStream, "6")).Stdout);
    }

    [Theory, MemberData(nameof(Users))]
    public async Task Device_nodes_cannot_be_made_where_fifos_can(bool asNobody)
    {
        var folder = WritableFolder();
        var character = await Escape(asNobody, ["-w", folder], "mknod-char", Path.Combine(folder, "kmsg"));
        Assert.Equal("mknod: Operation not permitted\n", character.Stdout);
        var block = await Escape(asNobody, ["-w", folder], "mknod-block", Path.Combine(folder, "loop0"));
        Assert.Equal("mknod: Operation not permitted\n", block.Stdout);
        Assert.False(File.Exists(Path.Combine(folder, "kmsg")));
        Assert.False(File.Exists(Path.Combine(folder, "loop0")));

        var fifo = await Escape(asNobody, ["-w", folder], "mknod-fifo", Path.Combine(folder, "fifo"));
        Assert.Equal("mknod: ok\n", fifo.Stdout);
    }

    [Theory, MemberData(nameof(Users))]
    public async Task The_command_keeps_no_capability(bool asNobody)
    {
        var caps = await Escape(asNobody, [], "capabilities");
        Assert.Equal(0, caps.ExitCode);
        foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapAmb" })
            Assert.Contains($"{set}:\t0000000000000000\n", caps.Stdout);
        // An ordinary user cannot empty its bounding set, and needs not: with no_new_privs an execve gains nothing.
        if (Environment.UserName == "root" && !asNobody) Assert.Contains("CapBnd:\t0000000000000000\n", caps.Stdout);
        // The same holds in the user namespace an ordinary user gets for a process limit.
        var limited = await Escape(asNobody, ["-P", "16"], "capabilities");
        Assert.Contains("CapEff:\t0000000000000000\n", limited.Stdout);
        Assert.Contains("CapBnd:\t0000000000000000\n", limited.Stdout);
    }

    [Theory, MemberData(nameof(Users))]
    public async Task Netlink_cannot_change_the_hosts_network(bool asNobody)
    {
        var attempt = await Escape(asNobody, [], "netlink-add-address");
        Assert.Equal("netlink add address: Operation not permitted\n", attempt.Stdout);
        var addresses = await File.ReadAllTextAsync("/proc/net/fib_trie");
        Assert.DoesNotContain("10.254.254.1", addresses);
    }

    [Theory, MemberData(nameof(Users))]
    public async Task Listening_without_a_bind_is_refused_and_after_an_allowed_bind_works(bool asNobody)
    {
        var unbound = await Escape(asNobody, [], "tcp-listen", "0");
        Assert.Equal("listen: Permission denied\n", unbound.Stdout);
        Assert.Contains("listen tcp 0.0.0.0:0 (never bound)", unbound.Stderr);

        var port = FreePort().ToString();
        var bound = await Escape(asNobody, ["--net-allow-bind", port], "tcp-listen", port);
        Assert.Equal("listen: ok\n", bound.Stdout);
        var otherPort = await Escape(asNobody, ["--net-allow-bind", port], "tcp-listen", FreePort().ToString());
        Assert.Equal("bind: Permission denied\n", otherPort.Stdout);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
