using System.Diagnostics;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Bench;

/// <summary>
/// Spawn-to-exit of /bin/true: Process.Start against confined starts through the C# API, measured in one process,
/// in a shuffled order each round so that machine noise and ordering effects hit every variant alike.
/// </summary>
internal static class SpawnBenchmark
{
    public static async Task RunAsync(int rounds)
    {
        const int warmup = 30;
        var system = new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/bin").FsRead("/etc").Build();
        // deterministic_dirs attaches the supervisor and holds nothing /bin/true calls.
        var supervised = system.ToBuilder().DeterministicDirs().Build();
        // Every sandbox is supervised by default now (other processes, unix socket paths): without it, the filter refuses.
        var unsupervised = system.ToBuilder().NoSupervisor().Build();
        var unconfined = new SandboxPolicyBuilder().Disable("landlock").Disable("seccomp").Build();

        var variants = new (string Name, Func<Task> Run)[]
        {
            ("Process.Start(\"/bin/true\")", async () =>
            {
                using var p = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
                await p.WaitForExitAsync();
            }),
            ("Sandbox: Landlock fs+net+scopes, seccomp (default: supervised)", () => Confined(system, StdioMode.Inherit)),
            ("Sandbox: same, --no-supervisor", () => Confined(unsupervised, StdioMode.Inherit)),
            ("Sandbox: same, supervisor attached", () => Confined(supervised, StdioMode.Inherit)),
            ("Sandbox: same, stdout/stderr captured", () => Confined(system, StdioMode.Capture)),
            ("Sandbox: no Landlock, no seccomp (spawn path)", () => Confined(unconfined, StdioMode.Inherit)),
        };

        async Task Confined(SandboxPolicy policy, StdioMode stdio)
        {
            await using var sandbox = new Sandbox(policy, ["/bin/true"], stdio);
            sandbox.Start();
            var result = await sandbox.WaitAsync();
            if (result.ExitCode != 0) throw new InvalidOperationException($"/bin/true failed in the sandbox: {result.Status}");
        }

        var samples = variants.Select(_ => new List<double>()).ToArray();
        var shuffle = new Random(42);
        for (var round = 0; round < warmup + rounds; round++)
        {
            foreach (var i in Enumerable.Range(0, variants.Length).OrderBy(_ => shuffle.Next()))
            {
                var clock = Stopwatch.StartNew();
                await variants[i].Run();
                if (round >= warmup) samples[i].Add(clock.Elapsed.TotalMicroseconds);
            }
        }

        double Median(List<double> xs) { xs.Sort(); return xs[xs.Count / 2]; }
        var bare = Median(samples[0]);
        Console.WriteLine($"spawn-to-exit of /bin/true, median of {rounds} rounds ({Environment.ProcessorCount} CPUs)");
        for (var i = 0; i < variants.Length; i++)
        {
            var median = Median(samples[i]);
            Console.WriteLine($"  {variants[i].Name,-48} {median,7:F0} us   ratio {median / bare:F2}");
        }

    }
}
