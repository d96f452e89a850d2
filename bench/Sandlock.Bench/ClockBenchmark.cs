using System.Diagnostics;
using System.Globalization;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Bench;

/// <summary>
/// time_start's cost: a loop reading one clock (native/clock_loop.c, through libc and so the vDSO) bare, in a
/// sandbox, and in a sandbox with time_start (realtime reads stay vDSO reads, through trampolines that add the
/// offset); time(NULL) with random_seed, which holds it; and the per-exec cost of patching the vDSO, on `date`.
/// </summary>
internal static class ClockBenchmark
{
    public static async Task RunAsync(int reads)
    {
        var work = Directory.CreateTempSubdirectory("sandlock-bench-clock-").FullName;
        try
        {
            var loop = NativePrograms.Build("clock_loop.c", work);
            var sandbox = new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/lib64").FsRead(work).Build();
            var virtualClock = sandbox.ToBuilder().TimeStart(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero)).Build();

            Console.WriteLine($"clock reads in a loop ({reads} per run, median of 7 rounds in shuffled order), ns per read");
            Console.WriteLine($"  {"clock",-14} {"bare",8} {"sandbox",9} {"time_start",11}   ratio to bare   ratio to sandbox");
            foreach (var clock in new[] { "realtime", "monotonic", "gettimeofday", "time" })
            {
                var count = clock is "gettimeofday" or "time" ? reads / 4 : reads;
                string[] command = [loop, clock, count.ToString(CultureInfo.InvariantCulture)];
                var (bare, confined, shifted) = await Interleaved(7,
                    () => Task.FromResult(double.Parse(NativePrograms.Run(loop, command[1..]), CultureInfo.InvariantCulture)),
                    () => PerRead(sandbox, command),
                    () => PerRead(virtualClock, command));
                Console.WriteLine($"  {clock,-14} {bare,8:F1} {confined,9:F1} {shifted,11:F1}   {shifted / bare,13:F2}   {shifted / confined,16:F2}");
            }

            // random_seed holds time(NULL), since libc's generators are seeded from it: every read is a round trip.
            var seeded = sandbox.ToBuilder().RandomSeed(1).Build();
            string[] timeLoop = [loop, "time", (reads / 400).ToString(CultureInfo.InvariantCulture)];
            var (timeBare, timeConfined, timeSeeded) = await Interleaved(7,
                () => Task.FromResult(double.Parse(NativePrograms.Run(loop, timeLoop[1..]), CultureInfo.InvariantCulture)),
                () => PerRead(sandbox, timeLoop),
                () => PerRead(seeded, timeLoop));
            Console.WriteLine($"  {"time, seeded",-14} {timeBare,8:F1} {timeConfined,9:F1} {timeSeeded,11:F1}   {timeSeeded / timeBare,13:F2}   {timeSeeded / timeConfined,16:F2}" +
                "   (last column: --random-seed instead of --time-start)");

            // One exec: the arch_prctl round trip and the vDSO patch, against the same sandbox without it.
            var date = new[] { "/usr/bin/date", "+%Y" };
            var (startBare, startConfined, startShifted) = await Interleaved(41,
                () => Timed(() => Task.FromResult(NativePrograms.Run(date[0], date[1..]))),
                () => Timed(() => Sandbox.RunAsync(sandbox, date)),
                () => Timed(() => Sandbox.RunAsync(virtualClock, date)));
            Console.WriteLine("`date` start to exit, median of 41 rounds");
            Console.WriteLine($"  bare {startBare:F2} ms, sandbox {startConfined:F2} ms, sandbox with time_start {startShifted:F2} ms" +
                $"   ratio time_start/sandbox {startShifted / startConfined:F2}");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    private static async Task<double> PerRead(SandboxPolicy policy, string[] command)
    {
        var result = await Sandbox.RunAsync(policy, command);
        if (result.ExitCode != 0) throw new InvalidOperationException($"{command[0]} failed: {result.StandardErrorText}");
        return double.Parse(result.StandardOutputText.Trim(), CultureInfo.InvariantCulture);
    }

    private static async Task<double> Timed(Func<Task> run)
    {
        var clock = Stopwatch.StartNew();
        await run();
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>Medians of three measurements taken in a shuffled order each round, so drift hits all alike.</summary>
    private static async Task<(double, double, double)> Interleaved(int rounds, params Func<Task<double>>[] variants)
    {
        var samples = variants.Select(_ => new List<double>()).ToArray();
        var shuffle = new Random(7);
        for (var round = 0; round < rounds; round++)
            foreach (var i in Enumerable.Range(0, variants.Length).OrderBy(_ => shuffle.Next()))
                samples[i].Add(await variants[i]());
        double Median(List<double> xs) { xs.Sort(); return xs[xs.Count / 2]; }
        return (Median(samples[0]), Median(samples[1]), Median(samples[2]));
    }
}
