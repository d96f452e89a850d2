using Sandlock.Lifecycle;
using System.Net;
using System.Net.Sockets;
using Sandlock.Policy;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

/// <summary>Host, address and CIDR rules, checked by the supervisor on the child's behalf.</summary>
public sealed class NetworkRuleTests : IDisposable
{
    private readonly TcpListener _allowed = new(IPAddress.Loopback, 0);
    private readonly TcpListener _other = new(IPAddress.Loopback, 0);

    public NetworkRuleTests()
    {
        _allowed.Start();
        _other.Start();
    }

    private int AllowedPort => ((IPEndPoint)_allowed.LocalEndpoint).Port;
    private int OtherPort => ((IPEndPoint)_other.LocalEndpoint).Port;

    public void Dispose()
    {
        _allowed.Stop();
        _other.Stop();
    }

    private static string Connect(string host, int port) => $"echo hi > /dev/tcp/{host}/{port}";

    [Fact]
    public async Task An_address_rule_reaches_its_listener_and_refuses_another_local_port()
    {
        var policy = SystemOnly().NetAllow($"127.0.0.1:{AllowedPort}");
        var accept = _allowed.AcceptTcpClientAsync();
        AssertSucceeded(await Run(policy, "bash", "-c", Connect("127.0.0.1", AllowedPort)));
        using (var client = await accept)
        using (var reader = new StreamReader(client.GetStream()))
            Assert.Equal("hi", await reader.ReadLineAsync());

        var refused = await Run(policy, "bash", "-c", Connect("127.0.0.1", OtherPort));
        AssertDenied(refused);
        var denial = Assert.Single(refused.Denials);
        Assert.Equal("connect", denial.Syscall);
        Assert.Equal($"tcp 127.0.0.1:{OtherPort}", denial.Target);
    }

    [Fact]
    public async Task A_worker_thread_connects_through_the_supervisor_too()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var accept = _allowed.AcceptTcpClientAsync();
        var script = $"import socket, threading\nt = threading.Thread(target=lambda: socket.create_connection(('127.0.0.1', {AllowedPort})).sendall(b'hi\\n'))\nt.start(); t.join()\nprint('sent')";
        var result = await Run(SystemOnly().FsRead("/etc").NetAllow($"127.0.0.1:{AllowedPort}"), "/usr/bin/python3", "-c", script);
        AssertSucceeded(result);
        using var client = await accept;
        using var reader = new StreamReader(client.GetStream());
        Assert.Equal("hi", await reader.ReadLineAsync());
    }

    [Fact]
    public async Task A_host_rule_is_resolved_once_and_pinned_in_the_sandboxes_hosts_file()
    {
        var policy = SystemOnly().NetAllow($"localhost:{AllowedPort}");
        var result = await Run(policy, "bash", "-c", $"cat /etc/hosts; {Connect("localhost", AllowedPort)} && echo connected");
        AssertSucceeded(result);
        Assert.Contains("localhost", result.StandardOutputText);
        Assert.Contains("connected", result.StandardOutputText);
        AssertDenied(await Run(policy, "bash", "-c", Connect("localhost", OtherPort)));
    }

    [Fact]
    public async Task A_cidr_with_any_port_allows_the_block_and_a_deny_rule_cuts_a_hole()
    {
        var policy = SystemOnly().NetAllow("127.0.0.0/8:*").NetDeny($"127.0.0.1:{OtherPort}");
        AssertSucceeded(await Run(policy, "bash", "-c", Connect("127.0.0.1", AllowedPort)));
        var denied = await Run(policy, "bash", "-c", Connect("127.0.0.1", OtherPort));
        AssertDenied(denied);
        Assert.Contains("--net-deny", Assert.Single(denied.Denials).Rule);
    }

    [Fact]
    public async Task Udp_is_checked_per_destination_when_allowed()
    {
        using var receiver = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)receiver.Client.LocalEndPoint!).Port;
        var send = $"use IO::Socket::INET; my $s = IO::Socket::INET->new(Proto => 'udp') or die \"socket: $!\\n\"; " +
                   $"defined $s->send('ping', 0, pack_sockaddr_in(shift, inet_aton('127.0.0.1'))) or die \"send: $!\\n\"; print 'sent'";
        var policy = SystemOnly().NetAllow($"udp://127.0.0.1:{port}");
        var receive = receiver.ReceiveAsync();
        var result = await Run(policy, "perl", "-e", send, $"{port}");
        AssertSucceeded(result);
        Assert.Equal("ping", System.Text.Encoding.ASCII.GetString((await receive).Buffer));
        AssertDenied(await Run(policy, "perl", "-e", send, $"{port + 1}"));
    }

    [Fact]
    public async Task Unix_sockets_are_left_to_landlock()
    {
        var result = await Run(SystemOnly().NetAllow($"127.0.0.1:{AllowedPort}"), "perl", "-MSocket", "-e",
            "socketpair(my $a, my $b, AF_UNIX, SOCK_STREAM, 0) or die \"pair: $!\\n\"; print 'ok'");
        AssertSucceeded(result);
    }

    [Fact]
    public void Deny_rules_take_addresses_not_names()
    {
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().NetDeny("example.com:443", "--net-deny").Build());
        Assert.Contains("--net-deny", error.Message);
    }

    [Fact]
    public void Host_rules_need_the_supervisor()
    {
        var policy = new SandboxPolicyBuilder().NetAllow("127.0.0.1:80").NoSupervisor().Build();
        var error = Assert.Throws<SandboxSetupException>(() => ConfinementPlan.Create(policy));
        Assert.Contains("--no-supervisor", error.Message);
    }
}
