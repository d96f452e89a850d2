using System.Diagnostics;
using System.Globalization;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Bench;

/// <summary>
/// time_start's cost: a loop reading one clock (native/clock_loop.c, through libc and so the vDSO) bare, in a
/// sandbox, and in a sandbox with time_start (realtime reads become a monotonic syscall plus the offset;
/// gettimeofday and time become held syscalls); and the per-exec cost of patching the vDSO, on `date`.
/// </summary>
internal static class ClockBenchmark
{
    public static async Task RunAsync(int reads)
    {
        var work = Directory.CreateTempSubdirectory("sandlock-bench-clock-").FullName;
        try
        {
            var loop = Path.Combine(work, "clock_loop");
            Run("cc", "-O2", "-o", loop, Path.Combine(AppContext.BaseDirectory, "native", "clock_loop.c"));
            var sandbox = new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/lib64").FsRead(work).Build();
            var virtualClock = sandbox.ToBuilder().TimeStart(new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero)).Build();

            Console.WriteLine($"clock reads in a loop ({reads} per run, median of 5 runs), ns per read");
            Console.WriteLine($"  {"clock",-14} {"bare",8} {"sandbox",9} {"time_start",11}   ratio time_start/bare");
            foreach (var clock in new[] { "realtime", "monotonic", "gettimeofday", "time" })
            {
                var count = clock is "gettimeofday" or "time" ? reads / 20 : reads;
                string[] command = [loop, clock, count.ToString(CultureInfo.InvariantCulture)];
                var bare = Median(5, () => Task.FromResult(double.Parse(Run(loop, command[1..]), CultureInfo.InvariantCulture)));
                var confined = Median(5, async () => await PerRead(sandbox, command));
                var shifted = Median(5, async () => await PerRead(virtualClock, command));
                Console.WriteLine($"  {clock,-14} {await bare,8:F1} {await confined,9:F1} {await shifted,11:F1}   {await shifted / await bare,6:F1}");
            }

            // One exec: the arch_prctl round trip and the vDSO patch, against the same sandbox without it.
            var date = new[] { "/usr/bin/date", "+%Y" };
            var startBare = await Median(41, () => Timed(() => Task.FromResult(Run(date[0], date[1..]))));
            var startConfined = await Median(41, () => Timed(() => Sandbox.RunAsync(sandbox, date)));
            var startShifted = await Median(41, () => Timed(() => Sandbox.RunAsync(virtualClock, date)));
            Console.WriteLine("`date` start to exit, median of 41 runs");
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

    private static async Task<double> Median(int runs, Func<Task<double>> sample)
    {
        var samples = new List<double>();
        for (var i = 0; i < runs; i++) samples.Add(await sample());
        samples.Sort();
        return samples[samples.Count / 2];
    }

    private static string Run(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} exited with {p.ExitCode}");
        return text.Trim();
    }
}
