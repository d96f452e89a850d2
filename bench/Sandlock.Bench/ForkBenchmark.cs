using System.Diagnostics;

namespace Sandlock.Bench;

/// <summary>
/// Clones of a fork template (Sandbox.ForkAsync), per clone: asked for, forked, adopted and waited for. Peers in the
/// same run: plain forks (then waits) of a process holding as much memory, outside any sandbox, and a fresh confined start;
/// the seed's figure (530 us per fork) is printed beside them.
/// </summary>
internal static class ForkBenchmark
{
    private const double SeedMicroseconds = 530;

    public static async Task RunAsync(int clones)
    {
        var folder = Directory.CreateTempSubdirectory("sandlock-fork-bench-").FullName;
        try
        {
            var template = NativePrograms.Build("fork_template.c", folder, ["-I", Path.Combine(AppContext.BaseDirectory, "native"),
                Path.Combine(AppContext.BaseDirectory, "native", "clients", "sandlock_fork.c")]);
            var policy = new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/bin").FsRead(folder).Build();

            foreach (var megabytes in new[] { 0, 50 })
            {
                await using var sandbox = new Sandbox(policy, [template, $"{megabytes}"]) { ForkTemplate = true };
                sandbox.Start();
                await sandbox.ForkAsync(0);
                await ForkAndWait(sandbox, Math.Min(clones, 50)); // warm-up
                var clock = Stopwatch.StartNew();
                await ForkAndWait(sandbox, clones);
                var perClone = clock.Elapsed.TotalMicroseconds / clones;
                var floor = double.Parse(NativePrograms.Run(template, ["floor", $"{clones}", $"{megabytes}"]), System.Globalization.CultureInfo.InvariantCulture);
                Console.WriteLine($"ForkAsync, template of {megabytes,2} MB: {perClone,8:F1} us per clone ({1e6 / perClone:F0}/s); " +
                    $"seed's 530 us / ours = {SeedMicroseconds / perClone:F2}; ours / plain fork of {megabytes} MB ({floor:F1} us) = {perClone / floor:F2}");
            }

            var fresh = Stopwatch.StartNew();
            var freshRounds = Math.Min(clones, 200);
            for (var i = 0; i < freshRounds; i++)
            {
                await using var sandbox = new Sandbox(policy, [template, "0"], StdioMode.Null);
                sandbox.Start();
                await sandbox.WaitAsync();
            }
            var perStart = fresh.Elapsed.TotalMicroseconds / freshRounds;
            Console.WriteLine($"Peer: a fresh confined start of the 0 MB template: {perStart,8:F1} us per start");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task ForkAndWait(Sandbox template, int count)
    {
        var clones = await template.ForkAsync(count);
        foreach (var clone in clones)
        {
            var result = await clone.WaitAsync();
            if (result.ExitCode != 0) throw new InvalidOperationException($"clone {clone.CloneId}: {result.Status}");
        }
    }
}
