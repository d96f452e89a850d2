using System.Diagnostics;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Confinement;

/// <summary>
/// A sandboxed command holds no capability, whichever thread forked it; the spawn thread's emptied bounding set
/// stays its own and never reaches what the host starts itself.
/// </summary>
public sealed class CapabilityTests
{
    private static readonly bool IsRoot = Environment.UserName == "root";

    [Fact]
    public async Task A_command_started_from_a_pool_thread_keeps_no_capability()
    {
        for (var i = 0; i < 2; i++) // the second start finds the spawn thread's set already empty
        {
            var result = await Task.Run(() => Sh(SystemOnly().FsRead("/proc"), "grep ^Cap /proc/self/status"));
            AssertSucceeded(result);
            foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapAmb" })
                Assert.Contains($"{set}:\t0000000000000000\n", result.StandardOutputText);
            if (IsRoot) Assert.Contains("CapBnd:\t0000000000000000\n", result.StandardOutputText);
        }
    }

    [Fact]
    public async Task The_hosts_own_children_keep_their_bounding_set()
    {
        AssertSucceeded(await Task.Run(() => Sh(SystemOnly(), "true")));

        var info = new ProcessStartInfo("/bin/grep", ["^CapBnd", "/proc/self/status"]) { RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var status = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        var own = File.ReadLines("/proc/thread-self/status").Single(l => l.StartsWith("CapBnd:", StringComparison.Ordinal));
        Assert.Equal(own + "\n", status);
        if (IsRoot) Assert.DoesNotContain("CapBnd:\t0000000000000000", status);
    }
}
