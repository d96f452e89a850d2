using System.Net;
using System.Net.Sockets;
using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>
/// <c>SandlockRouteExec=true</c> confines plain &lt;Exec&gt; tasks, imported SDK targets included. The TCP checks use
/// bash's /dev/tcp rather than curl, which a fresh Debian machine may lack.
/// </summary>
public sealed class ExecRoutingTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_plain_Exec_connecting_to_a_local_listener_is_denied_only_when_routed(bool routed)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var project = await FixtureProject.CopyAsync("BuildSteps");

        var build = await project.BuildAsync("Connect", new Dictionary<string, string>
        {
            ["ListenerPort"] = port, ["SandlockRouteExec"] = routed ? "true" : "false",
        });

        if (routed)
        {
            Assert.NotEqual(0, build.ExitCode);
            Assert.Contains($"error SLK0001: the sandbox denied a TCP connection to port {port}", build.Output);
            Assert.Contains($"NetAllow=\":{port}\"", build.Output);
            Assert.DoesNotContain("CONNECTED", build.Output.Replace("echo CONNECTED", ""));
        }
        else
        {
            Assert.True(build.ExitCode == 0, build.ToString());
            Assert.Contains("CONNECTED", build.Output.Replace("echo CONNECTED", ""));
        }
    }

    [Fact]
    public async Task A_name_lookup_without_DNS_fails_the_step_naming_the_host_and_the_rule_that_lets_the_sandbox_find_it()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");

        var build = await project.BuildAsync("LookUp", new Dictionary<string, string> { ["SandlockRouteExec"] = "true" });

        Assert.NotEqual(0, build.ExitCode);
        Assert.True(build.Output.Contains("error SLK0001: the sandbox has no DNS: a host name could not be looked up (\"bash: line 1: example.org: Temporary failure in name resolution\")",
            StringComparison.Ordinal) && build.Output.Contains("NetAllow=\"example.org:PORT\"", StringComparison.Ordinal), build.ToString());
    }

    [Fact]
    public async Task NetAllow_lets_the_connection_through()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var project = await FixtureProject.CopyAsync("BuildSteps");

        var build = await project.BuildAsync("ConnectAllowed", new Dictionary<string, string> { ["ListenerPort"] = port });

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("CONNECTED", build.Output.Replace("echo CONNECTED", ""));
    }

    [Fact]
    public async Task Routing_reaches_Exec_in_SDK_targets_such_as_PreBuildEvent()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync(properties: new Dictionary<string, string>
        {
            ["SandlockRouteExec"] = "true", ["PreBuildEvent"] = "cat $HOME/.ssh/id_rsa",
        });

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error SLK0001: the sandbox denied access to " + Path.Combine(project.Home, ".ssh", "id_rsa"), build.Output);
        Assert.DoesNotContain(FixtureProject.SecretText, build.Output);
    }

    [Fact]
    public async Task Incremental_builds_still_skip_up_to_date_targets_when_routed()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var routed = new Dictionary<string, string> { ["SandlockRouteExec"] = "true" };

        var first = await project.BuildAsync("Generate", routed);
        var second = await project.BuildAsync("Generate", routed);

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("GENERATING", first.Output.Replace("echo GENERATING", ""));
        // No target of this project runs Exec during restore.
        Assert.DoesNotContain("SLK0009", first.Output);
        Assert.True(File.Exists(Path.Combine(project.Directory, "obj", "generated.txt")));
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("Skipping target \"Generate\" because all output files are up-to-date", second.Output);
        Assert.DoesNotContain("GENERATING", second.Output);
    }
}
