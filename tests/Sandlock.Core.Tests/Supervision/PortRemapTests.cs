using System.Net;
using System.Net.Sockets;
using System.Text;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Supervision.Network;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

/// <summary>--port-remap: each sandbox binds in a port space of its own; the real port is reported.</summary>
public sealed class PortRemapTests : IDisposable
{
    /// <summary>
    /// A server on a port, and a client of its own that connects to the same port and prints the server's tag.
    /// Arguments: tag, 4|6, tcp|udp, port, barrier folder, servers to wait for, extra connections to serve.
    /// Once listening it prints "name PORT" and marks the barrier; its client starts when every server is up.
    /// </summary>
    private const string Server = """
        import os, socket, sys, time
        tag, family, proto, port, barrier, servers, extra = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], int(sys.argv[6]), int(sys.argv[7])
        fam, host = (socket.AF_INET6, '::1') if family == '6' else (socket.AF_INET, '127.0.0.1')
        tcp = proto == 'tcp'
        server = socket.socket(fam, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((host, port))
        if tcp: server.listen()
        print('name', server.getsockname()[1], flush=True)
        open(os.path.join(barrier, tag), 'w').close()
        while len(os.listdir(barrier)) < servers: time.sleep(0.01)
        if tcp:
            client = socket.create_connection((host, port))
            print('peer', client.getpeername()[1], flush=True)
            for _ in range(1 + extra):
                connection, _ = server.accept()
                connection.sendall(tag.encode())
                connection.close()
            print('got', client.recv(64).decode(), flush=True)
        else:
            client = socket.socket(fam, socket.SOCK_DGRAM)
            client.sendto(b'ping', (host, port))
            data, source = server.recvfrom(64)
            server.sendto(tag.encode(), source)
            print('got', client.recv(64).decode(), flush=True)
        """;

    private readonly TempDir _temp = new();
    private readonly string _script;

    public PortRemapTests() => _script = _temp.Write("server.py", Server);

    public void Dispose() => _temp.Dispose();

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private SandboxPolicyBuilder Remapped(int port, string family = "4") =>
        SystemOnly().FsRead(_temp.Path).PortRemap().NetAllowBind($"{port}").NetAllow(family == "6" ? $"[::1]:{port}" : $"127.0.0.1:{port}");

    private string[] ServerCommand(string tag, string family, string proto, int port, string barrier, int servers = 1, int extra = 0) =>
        ["/usr/bin/python3", _script, tag, family, proto, $"{port}", barrier, $"{servers}", $"{extra}"];

    private string Barrier(string name) => _temp.Mkdir(name);

    /// <summary>A started sandbox with what it printed and the mappings it reported, observed as they happen.</summary>
    private sealed class Observed : IAsyncDisposable
    {
        private readonly StringBuilder _stdout = new();
        private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<PortMapping> _mapped = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Observed(SandboxPolicy policy, string[] command)
        {
            Sandbox = new Sandbox(policy, command)
            {
                Timeout = TimeSpan.FromSeconds(60),
                OnPortMapped = mapping => _mapped.TrySetResult(mapping),
                OnStandardOutput = chunk =>
                {
                    lock (_stdout)
                    {
                        _stdout.Append(Encoding.UTF8.GetString(chunk));
                        if (_stdout.ToString().Contains("name ")) _listening.TrySetResult();
                    }
                },
            };
            Sandbox.Start();
        }

        public Sandbox Sandbox { get; }
        public Task Listening => _listening.Task;
        public Task<PortMapping> Mapped => _mapped.Task;

        public async Task<SandboxResult> ResultAsync()
        {
            var result = await Sandbox.WaitAsync();
            // Unblocks a test waiting for output the command never printed.
            _listening.TrySetResult();
            _mapped.TrySetCanceled();
            return result;
        }

        public ValueTask DisposeAsync() => Sandbox.DisposeAsync();
    }

    private static async Task<string> ReadTagFrom(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        using var reader = new StreamReader(client.GetStream());
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task Two_sandboxes_serve_the_same_port_at_once_each_client_reaches_its_own_server_and_the_host_reaches_both()
    {
        var port = FreePort();
        var barrier = Barrier("both");
        var policy = Remapped(port).FsWrite(barrier).Build();
        await using var a = new Observed(policy, ServerCommand("A", "4", "tcp", port, barrier, servers: 2, extra: 1));
        await using var b = new Observed(policy, ServerCommand("B", "4", "tcp", port, barrier, servers: 2, extra: 1));

        // The mapping is known while the servers run: a client on the host reaches each one at its real port.
        var mappingA = await a.Mapped;
        var mappingB = await b.Mapped;
        await Task.WhenAll(a.Listening, b.Listening);
        Assert.Equal("A", await ReadTagFrom(mappingA.RealPort));
        Assert.Equal("B", await ReadTagFrom(mappingB.RealPort));

        var resultA = await a.ResultAsync();
        var resultB = await b.ResultAsync();
        AssertSucceeded(resultA);
        AssertSucceeded(resultB);
        // Each sandbox sees the port it asked for, and its client got its own server's answer.
        Assert.Equal($"name {port}\npeer {port}\ngot A\n", resultA.StandardOutputText);
        Assert.Equal($"name {port}\npeer {port}\ngot B\n", resultB.StandardOutputText);

        Assert.Equal((ushort)port, mappingA.VirtualPort);
        Assert.Equal((ushort)port, mappingB.VirtualPort);
        Assert.Equal(NetProtocol.Tcp, mappingA.Protocol);
        Assert.NotEqual(mappingA.RealPort, mappingB.RealPort);
        Assert.True(mappingA.Remapped || mappingB.Remapped);
        Assert.Equal([mappingA], resultA.PortMappings);
        Assert.Equal([mappingB], resultB.PortMappings);
        Assert.Equal(resultA.Pid, mappingA.Pid);
    }

    [Theory]
    [InlineData("4")]
    [InlineData("6")]
    public async Task A_port_the_host_holds_is_remapped_and_the_sandbox_reaches_its_own_server_not_the_hosts(string family)
    {
        using var host = new TcpListener(family == "6" ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0);
        host.Start();
        var port = ((IPEndPoint)host.LocalEndpoint).Port;

        var result = await Run(Remapped(port, family).FsWrite(_temp.Path), ServerCommand("own", family, "tcp", port, Barrier("one")));

        AssertSucceeded(result);
        Assert.Equal($"name {port}\npeer {port}\ngot own\n", result.StandardOutputText);
        var mapping = Assert.Single(result.PortMappings);
        Assert.True(mapping.Remapped);
        Assert.NotEqual(port, mapping.RealPort);
        Assert.False(host.Pending());
        // The virtual port was checked against --net-allow-bind; the real one is in no rule and needed none.
        Assert.Empty(result.Denials);
    }

    [Fact]
    public async Task Without_port_remap_the_same_bind_fails_with_address_in_use()
    {
        using var host = new TcpListener(IPAddress.Loopback, 0);
        host.Start();
        var port = ((IPEndPoint)host.LocalEndpoint).Port;
        var policy = SystemOnly().FsRead(_temp.Path).FsWrite(_temp.Path).NetAllowBind($"{port}").NetAllow($"127.0.0.1:{port}");

        var result = await Run(policy, ServerCommand("own", "4", "tcp", port, Barrier("one")));

        AssertDenied(result, "Address already in use");
        Assert.Empty(result.PortMappings);
    }

    [Fact]
    public async Task Udp_datagrams_to_a_remapped_port_reach_the_sandboxes_own_socket()
    {
        using var host = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)host.Client.LocalEndPoint!).Port;
        var policy = SystemOnly().FsRead(_temp.Path).FsWrite(_temp.Path).PortRemap().NetAllow("udp://127.0.0.1:*");

        var result = await Run(policy, ServerCommand("own", "4", "udp", port, Barrier("one")));

        AssertSucceeded(result);
        Assert.Equal($"name {port}\ngot own\n", result.StandardOutputText);
        var mapping = Assert.Single(result.PortMappings);
        Assert.Equal(NetProtocol.Udp, mapping.Protocol);
        Assert.True(mapping.Remapped);
        Assert.Equal(0, host.Available);
    }

    private static string Bind(int port, int times = 1) =>
        "import socket\nheld = []\n" +
        $"for _ in range({times}):\n" +
        $"    s = socket.socket(); held.append(s); s.bind(('127.0.0.1', {port})); s.listen(); print('bound', s.getsockname()[1], flush=True)\n";

    [Fact]
    public async Task Bind_rules_apply_to_the_virtual_port()
    {
        var port = FreePort();
        var policy = SystemOnly().PortRemap().NetAllowBind($"{port}-{port + 1}").NetDenyBind($"{port + 1}");

        AssertSucceeded(await Run(policy, "/usr/bin/python3", "-c", Bind(port)));

        var denied = await Run(policy, "/usr/bin/python3", "-c", Bind(port + 1));
        AssertDenied(denied);
        var denial = Assert.Single(denied.Denials);
        Assert.Equal(("bind", $"tcp 127.0.0.1:{port + 1}", "matches --net-deny-bind"), (denial.Syscall, denial.Target, denial.Rule));

        var unlisted = await Run(policy, "/usr/bin/python3", "-c", Bind(port + 2));
        AssertDenied(unlisted);
        Assert.Equal("no --net-allow-bind rule matches", Assert.Single(unlisted.Denials).Rule);

        // As Landlock: port 0 (any free port) is not a listed port.
        AssertDenied(await Run(policy, "/usr/bin/python3", "-c", Bind(0)));
        Assert.Empty(denied.PortMappings);
    }

    [Fact]
    public async Task Binding_a_virtual_port_twice_fails_as_it_would_without_remapping()
    {
        using var host = new TcpListener(IPAddress.Loopback, 0);
        host.Start();
        var port = ((IPEndPoint)host.LocalEndpoint).Port;

        var result = await Run(SystemOnly().PortRemap().NetAllowBind($"{port}"), "/usr/bin/python3", "-c", Bind(port, times: 2));

        AssertDenied(result, "Address already in use");
        Assert.Equal($"bound {port}\n", result.StandardOutputText);
        Assert.True(Assert.Single(result.PortMappings).Remapped);
    }

    [Fact]
    public async Task A_privileged_port_is_refused_since_no_child_keeps_the_privilege()
    {
        var policy = SystemOnly().PortRemap().NetAllowBind("80");
        // The supervisor binds with its own privileges and must not lend them: a root sandbox keeps no capability,
        // CAP_NET_BIND_SERVICE included, so no child of it may have port 80 (nor change to another user to try).
        AssertDenied(await Run(policy, "/usr/bin/python3", "-c", Bind(80)));
    }

    [Fact]
    public void Port_remap_needs_the_supervisor()
    {
        var policy = new SandboxPolicyBuilder().PortRemap().NoSupervisor().Build();
        var error = Assert.Throws<SandboxSetupException>(() => ConfinementPlan.Create(policy));
        Assert.Contains("port_remap", error.Message);
    }
}
