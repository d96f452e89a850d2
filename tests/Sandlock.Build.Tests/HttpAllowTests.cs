using System.Net;
using System.Net.Sockets;
using System.Text;
using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>
/// <c>&lt;SandlockExec HttpAllow="..."&gt;</c>: an allowed request reaches the server; another gets the sandbox's 403
/// and fails the step with SLK0001 naming method, host, path and the setting to add. The policy file names the
/// test server's port as an HTTP port (the default ones, 80 and 443, cannot be bound here).
/// </summary>
public sealed class HttpAllowTests
{
    [Theory]
    [InlineData("/ok/x", true)]
    [InlineData("/no", false)]
    public async Task HttpAllow_lets_matching_requests_through_and_names_the_rule_for_others(string path, bool allowed)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var served = ServeOnceAsync(listener);
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var policy = Path.Combine(project.Directory, "http.toml");
        await File.WriteAllTextAsync(policy, $"[http]\nports = [{port}]\n");

        var build = await project.BuildAsync("HttpGet", new Dictionary<string, string>
        {
            ["ListenerPort"] = $"{port}", ["RequestPath"] = path, ["SandlockPolicyFile"] = policy,
        });

        if (allowed)
        {
            Assert.True(build.ExitCode == 0, build.ToString());
            Assert.Equal($"GET {path} HTTP/1.1", await served);
        }
        else
        {
            Assert.NotEqual(0, build.ExitCode);
            Assert.Contains($"error SLK0001: the sandbox denied http GET 127.0.0.1{path} (no HTTP allow rule matches)", build.Output);
            Assert.Contains($"HttpAllow=\"GET 127.0.0.1{path}\"", build.Output);
            Assert.False(served.IsCompletedSuccessfully, "the refused request reached the server");
        }
    }

    private static async Task<string?> ServeOnceAsync(TcpListener listener)
    {
        using var client = await listener.AcceptTcpClientAsync();
        var stream = client.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        var first = await reader.ReadLineAsync();
        while (await reader.ReadLineAsync() is { Length: > 0 }) { }
        await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n"u8.ToArray());
        return first;
    }
}
