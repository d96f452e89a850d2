using Sandlock.Policy;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

public sealed class HostnameTests
{
    [Fact]
    public async Task The_sandbox_name_is_its_hostname()
    {
        var result = await Sh(SystemOnly().Name("build-42"), "hostname; uname -n");
        Assert.Equal("build-42\nbuild-42\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Without_a_name_the_real_hostname_shows()
    {
        var result = await Run(SystemOnly(), "uname", "-n");
        Assert.Equal(Environment.MachineName + "\n", result.StandardOutputText);
    }

    [Fact]
    public void A_name_must_be_a_valid_hostname()
    {
        var error = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().Name("no spaces", "--name"));
        Assert.Contains("--name", error.Message);
    }
}
