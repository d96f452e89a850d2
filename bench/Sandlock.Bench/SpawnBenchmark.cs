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
    /// <param name="sessionOnly">Only Process.Start, a new Sandbox and an exec in a session (the <c>session</c> mode).</param>
    public static async Task RunAsync(int rounds, bool sessionOnly = false)
    {
        const int warmup = 30;
        var system = new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/bin").FsRead("/etc").Build();
        // Every sandbox a supervisor can serve is supervised (calls on other processes, unix sockets, listen);
        // --no-supervisor is the Landlock-and-seccomp floor under it.
        var unsupervised = system.ToBuilder().NoSupervisor().Build();
        var unconfined = new SandboxPolicyBuilder().Disable("landlock").Disable("seccomp").Build();

        var backend = new LocalSandboxBackend();
        var session = await backend.ProvisionAsync(system);
        var inherit = new ExecRequest(["/bin/true"]) { Stdio = StdioMode.Inherit };
        var variants = new (string Name, Func<Task> Run)[]
        {
            ("Process.Start(\"/bin/true\")", async () =>
            {
                using var p = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
                await p.WaitForExitAsync();
            }),
            ("Sandbox: Landlock fs+net+scopes, seccomp, supervisor", () => Confined(system, StdioMode.Inherit)),
            ("Session exec: same policy, provisioned once", async () =>
            {
                var result = await backend.ExecAsync(session, inherit);
                if (result.ExitCode != 0) throw new InvalidOperationException($"/bin/true failed in the session: {result.Status}");
            }),
            ("Sandbox: same, --no-supervisor", () => Confined(unsupervised, StdioMode.Inherit)),
            ("Sandbox: same, stdout/stderr captured", () => Confined(system, StdioMode.Capture)),
            ("Sandbox: no Landlock, no seccomp (spawn path)", () => Confined(unconfined, StdioMode.Inherit)),
        };
        if (sessionOnly) variants = variants[..3];

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
        await backend.TerminateAsync(session);

    }
}
