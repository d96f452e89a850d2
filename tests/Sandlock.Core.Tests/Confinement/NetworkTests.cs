using System.Net;
using System.Net.Sockets;
using Sandlock.Policy;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Confinement;

public sealed class NetworkTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

    public NetworkTests() => _listener.Start();

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public void Dispose() => _listener.Stop();

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private string Connect(int port) => $"echo hi > /dev/tcp/127.0.0.1/{port}";

    [Fact]
    public async Task Tcp_connect_is_denied_by_default()
    {
        var result = await Run(SystemOnly(), "bash", "-c", Connect(Port));
        AssertDenied(result);
    }

    [Fact]
    public async Task Tcp_connect_to_an_allowed_port_works()
    {
        var accept = _listener.AcceptTcpClientAsync();
        var result = await Run(SystemOnly().NetAllow($":{Port}"), "bash", "-c", Connect(Port));
        AssertSucceeded(result);
        using var client = await accept;
        using var reader = new StreamReader(client.GetStream());
        Assert.Equal("hi", await reader.ReadLineAsync());
    }

    [Fact]
    public async Task Allowing_one_port_does_not_open_another()
    {
        AssertDenied(await Run(SystemOnly().NetAllow($"*:{FreePort()}"), "bash", "-c", Connect(Port)));
    }

    [Fact]
    public async Task A_denied_port_wins_over_an_allowed_one()
    {
        AssertDenied(await Run(SystemOnly().NetAllow($":{Port}").NetDeny($":{Port}"), "bash", "-c", Connect(Port)));
    }

    private static string Bind(int port) =>
        $"IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => {port}, Listen => 1, ReuseAddr => 1) or die \"bind: $!\\n\"; print 'bound'";

    [Fact]
    public async Task Tcp_bind_is_denied_by_default()
    {
        var result = await Run(SystemOnly(), "perl", "-MIO::Socket::INET", "-e", Bind(FreePort()));
        AssertDenied(result);
    }

    [Fact]
    public async Task Tcp_bind_on_an_allowed_port_works()
    {
        var port = FreePort();
        var result = await Run(SystemOnly().NetAllowBind($"{port}"), "perl", "-MIO::Socket::INET", "-e", Bind(port));
        AssertSucceeded(result);
        Assert.Equal("bound", result.StandardOutputText);
    }

    [Fact]
    public async Task Udp_sockets_cannot_be_created_but_unix_datagram_sockets_can()
    {
        var udp = await Run(SystemOnly(), "perl", "-MIO::Socket::INET", "-e",
            "IO::Socket::INET->new(Proto => 'udp', PeerAddr => '127.0.0.1:53') or die \"udp: $!\\n\"");
        AssertDenied(udp);
        var unix = await Run(SystemOnly(), "perl", "-MSocket", "-e",
            "socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die \"unix: $!\\n\"; print 'ok'");
        AssertSucceeded(unix);
    }

    [Fact]
    public async Task Python_sees_udp_and_tcp_denied_where_it_is_installed()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var script = $$"""
            import socket
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                try:
                    s = socket.socket(socket.AF_INET, kind)
                    s.connect(("127.0.0.1", {{Port}}))
                    print("open", kind)
                except PermissionError as e:
                    print("denied", kind)
            """;
        var result = await Run(SystemOnly(), "/usr/bin/python3", "-c", script);
        Assert.Equal("denied 2\ndenied 1\n", result.StandardOutputText);
    }

    [Fact]
    public void Host_rules_are_accepted_now_that_the_supervisor_exists()
    {
        var policy = new SandboxPolicyBuilder().NetAllow("example.com:443", "--net-allow").Build();
        Assert.Equal("example.com", policy.NetAllow.Single().Host);
    }
}
