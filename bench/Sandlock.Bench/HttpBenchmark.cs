using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Sandlock.Bench;

/// <summary>
/// The HTTP proxy's cost: a client in the sandbox (Python's http.client) makes small GETs, each on a new
/// connection as curl or pip would, then downloads 100 MB, from a server in this process; once with the port
/// allowed directly (--net-allow, the supervisor's on-behalf connect only), once through the proxy (--http-allow)
/// and once through the peer, a minimal C relay (native/tcp_relay.c, the fastest kind bench/relay-ceiling.sh found),
/// in the same rounds with the same client and server. Prints the extra time per GET and the throughput ratios.
/// </summary>
/// <remarks>
/// On this 2-vCPU VM no userspace relay reaches 0.9 of direct over loopback (docs/benchmarks.md): a relay adds a
/// second TCP connection and a third busy thread to two cores. What would: keeping the relay out of the data path
/// (an in-kernel sockmap redirect, which needs CAP_BPF and CAP_NET_ADMIN), or handing the sandbox the server's
/// socket, which would let it send requests no rule checked.
/// </remarks>
internal static class HttpBenchmark
{
    private const int BigBytes = 100 << 20;
    // A 100 MB loopback transfer takes tens of milliseconds, so on a shared machine single rounds scatter widely;
    // each round pairs a direct and a proxied run back to back, and the median of their ratios is printed too.
    private const int Rounds = 15;
    private const string Client = """
        import http.client, sys, time
        port, n = int(sys.argv[1]), int(sys.argv[2])
        def get(path):
            c = http.client.HTTPConnection("127.0.0.1", port); c.request("GET", path); r = c.getresponse()
            total = 0
            while True:
                b = r.read(1 << 20)
                if not b: break
                total += len(b)
            c.close(); return total
        get("/small")
        t = time.perf_counter()
        for _ in range(n): get("/small")
        small = (time.perf_counter() - t) / n * 1000
        t = time.perf_counter(); total = get("/big"); big = total / (time.perf_counter() - t) / 1e6
        print(f"{small} {big} {total}")
        """;

    public static async Task RunAsync(int gets)
    {
        if (!File.Exists("/usr/bin/python3")) { Console.WriteLine("http: skipped, /usr/bin/python3 is missing"); return; }
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        _ = ServeAsync(listener, stop.Token);
        var port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        SandboxPolicyBuilder Base() => new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/etc");
        var direct = Base().NetAllow($"127.0.0.1:{port}").Build();
        var proxied = Base().HttpAllow("GET 127.0.0.1/*").HttpPort(port).Build();
        var folder = Directory.CreateTempSubdirectory("sandlock-bench-relay-");
        using var relay = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(NativePrograms.Build("tcp_relay.c", folder.FullName, ["-lpthread"]), port)
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            var relayPort = (await relay.StandardOutput.ReadLineAsync())?.Trim() ?? throw new InvalidOperationException("tcp_relay printed no port");
            var relayed = Base().NetAllow($"127.0.0.1:{relayPort}").Build();

            var directRuns = new List<(double Small, double Big, double Cpu)>();
            var proxiedRuns = new List<(double Small, double Big, double Cpu)>();
            var relayedRuns = new List<(double Small, double Big, double Cpu)>();
            for (var round = 0; round < Rounds; round++)
            {
                directRuns.Add(await MeasureAsync(direct, port, gets));
                proxiedRuns.Add(await MeasureAsync(proxied, port, gets));
                relayedRuns.Add(await MeasureAsync(relayed, relayPort, gets));
            }
            var (directSmall, directBig) = (Median(directRuns.Select(r => r.Small)), Median(directRuns.Select(r => r.Big)));
            var (proxySmall, proxyBig) = (Median(proxiedRuns.Select(r => r.Small)), Median(proxiedRuns.Select(r => r.Big)));
            var (relaySmall, relayBig) = (Median(relayedRuns.Select(r => r.Small)), Median(relayedRuns.Select(r => r.Big)));
            var pairedRatio = Median(directRuns.Zip(proxiedRuns, (d, p) => p.Big / d.Big));
            var pairedRelayRatio = Median(directRuns.Zip(relayedRuns, (d, r) => r.Big / d.Big));
            var pairedPeerRatio = Median(relayedRuns.Zip(proxiedRuns, (r, p) => p.Big / r.Big));
            Console.WriteLine($"HTTP through the proxy vs direct and vs a C relay, {gets} small GETs (new connection each) and one 100 MB download, median of {Rounds} interleaved runs");
            Console.WriteLine($"  small GET   direct {directSmall,7:F3} ms   proxy {proxySmall,7:F3} ms   extra {proxySmall - directSmall,6:F3} ms per GET   C relay {relaySmall,7:F3} ms");
            Console.WriteLine($"  100 MB      direct {directBig,7:F0} MB/s proxy {proxyBig,7:F0} MB/s ratio {proxyBig / directBig:F2} of direct (median of paired rounds {pairedRatio:F2})");
            Console.WriteLine($"              C relay {relayBig,6:F0} MB/s ratio {relayBig / directBig:F2} of direct (paired {pairedRelayRatio:F2}); proxy {proxyBig / relayBig:F2} of the C relay (paired {pairedPeerRatio:F2})");
            var (directCpu, proxyCpu) = (Median(directRuns.Select(r => r.Cpu)), Median(proxiedRuns.Select(r => r.Cpu)));
            Console.WriteLine($"  CPU of this process (server, supervisor, proxy) per run: direct {directCpu,5:F0} ms   proxy {proxyCpu,5:F0} ms   extra {proxyCpu - directCpu,5:F0} ms");
        }
        finally
        {
            relay.Kill();
            await relay.WaitForExitAsync();
            folder.Delete(recursive: true);
            stop.Cancel();
        }
    }

    private static async Task<(double Small, double Big, double Cpu)> MeasureAsync(SandboxPolicy policy, string port, int gets)
    {
        // CPU time scatters far less than throughput under load: this process is the server, the supervisor and the proxy.
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var result = await Sandbox.RunAsync(policy, ["/usr/bin/python3", "-c", Client, port, gets.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(5));
        self.Refresh();
        var used = (self.TotalProcessorTime - cpu).TotalMilliseconds;
        var parts = result.StandardOutputText.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (result.ExitCode != 0 || parts.Length != 3 || parts[2].Trim() != BigBytes.ToString(CultureInfo.InvariantCulture))
            throw new InvalidOperationException($"the client failed: {result.Status} {result.StandardOutputText} {result.StandardErrorText}");
        return (double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture), used);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static async Task ServeAsync(TcpListener listener, CancellationToken stop)
    {
        var chunk = new byte[1 << 20];
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(stop); }
            catch (OperationCanceledException) { return; }
            _ = Task.Run(async () =>
            {
                using (client)
                {
                    var stream = client.GetStream();
                    var reader = new StreamReader(stream, Encoding.ASCII);
                    var first = await reader.ReadLineAsync(stop) ?? "";
                    while (await reader.ReadLineAsync(stop) is { Length: > 0 }) { }
                    var big = first.Contains("/big", StringComparison.Ordinal);
                    var length = big ? BigBytes : 100;
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n"), stop);
                    for (var sent = 0; sent < length; sent += chunk.Length)
                        await stream.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, length - sent)), stop);
                }
            }, stop);
        }
    }
}
