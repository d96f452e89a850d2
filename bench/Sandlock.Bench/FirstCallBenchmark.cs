using System.Diagnostics;
using Sandlock.Policy;

namespace Sandlock.Bench;

/// <summary>
/// The first sandboxed run of a fresh process (what an MSBuild node or a test host pays once), then a second one:
/// most of the first is JIT compiling Sandlock.Core, which ReadyToRun code would save. bench/r2r-first-call.sh runs
/// this in builds with and without ReadyToRun and compares.
/// </summary>
internal static class FirstCallBenchmark
{
    public static async Task RunAsync()
    {
        var first = Stopwatch.StartNew();
        await RunTrueAsync();
        first.Stop();
        var second = Stopwatch.StartNew();
        await RunTrueAsync();
        second.Stop();
        Console.WriteLine($"{first.Elapsed.TotalMilliseconds:F2} {second.Elapsed.TotalMilliseconds:F2}");
    }

    private static async Task RunTrueAsync()
    {
        var policy = new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/bin").Build();
        var result = await Sandbox.RunAsync(policy, ["/bin/true"]);
        if (result.ExitCode != 0) throw new InvalidOperationException($"/bin/true failed in the sandbox: {result.Status}");
    }
}
