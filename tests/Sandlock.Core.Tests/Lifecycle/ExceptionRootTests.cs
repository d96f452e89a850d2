using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Tests.Lifecycle;

/// <summary>A library user catches every Sandlock error with one catch.</summary>
public sealed class ExceptionRootTests
{
    [Fact]
    public void A_bad_policy_is_a_SandlockException()
    {
        var error = Assert.ThrowsAny<SandlockException>(() => new SandboxPolicyBuilder().MaxMemory("lots").Build());
        Assert.IsType<PolicyException>(error, exactMatch: false);
    }

    [Fact]
    public async Task A_command_that_cannot_start_is_a_SandlockException()
    {
        var policy = new SandboxPolicyBuilder().FsRead("/usr").Build();
        var error = await Assert.ThrowsAnyAsync<SandlockException>(() => Sandbox.RunAsync(policy, ["/nonexistent/command"], TimeSpan.FromSeconds(30)));
        Assert.Contains("/nonexistent/command", error.Message);
    }
}
