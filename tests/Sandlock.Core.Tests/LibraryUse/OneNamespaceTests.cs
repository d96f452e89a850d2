using Sandlock;
using Xunit;

// Deliberately outside the Sandlock.* namespaces, with the one using a library user writes.
namespace LibraryUser;

/// <summary>What a library user touches lives in the namespace Sandlock: policy, run, result, denials, errors.</summary>
public sealed class OneNamespaceTests
{
    [Fact]
    public async Task A_program_with_only_using_Sandlock_runs_a_command_and_reads_its_result_and_denials()
    {
        var policy = new SandboxPolicyBuilder().FsRead("/").Build();
        SandboxResult result = await Sandbox.RunAsync(policy, ["/bin/sh", "-c", "echo hi; cat /proc/1/cmdline"], TimeSpan.FromSeconds(60));

        ExitStatus status = result.Status;
        Assert.False(status.Success);
        Assert.StartsWith("hi\n", result.StandardOutputText);
        Denial denial = Assert.Single(result.Denials, d => d.Target == "/proc/1/cmdline");
        Assert.Contains("/proc view", denial.Rule);
    }

    [Fact]
    public async Task Every_error_is_caught_as_SandlockException()
    {
        Assert.ThrowsAny<SandlockException>(() => new SandboxPolicyBuilder().MaxMemory("lots").Build());
        var policy = new SandboxPolicyBuilder().FsRead("/usr").Build();
        await Assert.ThrowsAnyAsync<SandlockException>(() => Sandbox.RunAsync(policy, ["/nonexistent/command"], TimeSpan.FromSeconds(30)));
    }
}
