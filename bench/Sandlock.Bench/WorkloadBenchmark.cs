using System.Diagnostics;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Bench;

/// <summary>
/// A syscall-heavy workload, `find /usr` (hundreds of thousands of getdents64/newfstatat), run bare and in a
/// sandbox that reads the system and, in a second variant, also has the supervisor running (a host rule), so
/// its held syscalls are on the path of nothing here: the cost is Landlock's path checks and the seccomp filter.
/// </summary>
internal static class WorkloadBenchmark
{
    public static async Task RunAsync(int rounds)
    {
        var confined = new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/bin").Build();
        var supervised = confined.ToBuilder().NetAllow("127.0.0.1:9").Build();
        string[] command = ["find", "/usr", "-xdev"];
        var variants = new (string Name, Func<Task> Run)[]
        {
            ("bare (Process.Start)", async () =>
            {
                var info = new ProcessStartInfo("find") { RedirectStandardOutput = true, UseShellExecute = false };
                foreach (var a in command[1..]) info.ArgumentList.Add(a);
                using var p = Process.Start(info)!;
                await p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
                await p.WaitForExitAsync();
            }),
            ("sandbox, default deny list and Landlock", () => Sandbox.RunAsync(confined, command)),
            ("sandbox with the supervisor attached", () => Sandbox.RunAsync(supervised, command)),
        };
        var samples = variants.Select(_ => new List<double>()).ToArray();
        var shuffle = new Random(7);
        for (var round = 0; round < rounds + 2; round++)
        {
            foreach (var i in Enumerable.Range(0, variants.Length).OrderBy(_ => shuffle.Next()))
            {
                var clock = Stopwatch.StartNew();
                await variants[i].Run();
                if (round >= 2) samples[i].Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        static double Median(List<double> xs) { xs.Sort(); return xs[xs.Count / 2]; }
        var bare = Median(samples[0]);
        Console.WriteLine($"find /usr -xdev, median of {rounds} rounds");
        for (var i = 0; i < variants.Length; i++)
            Console.WriteLine($"  {variants[i].Name,-44} {Median(samples[i]),8:F0} ms   ratio {Median(samples[i]) / bare:F2}");
    }
}
