using System.Globalization;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Bench;

/// <summary>
/// workdir copy-ups off the notification thread: in one sandbox, a process opens a large file of the workdir for
/// appending (a copy-up of all of it) while another does rounds of a thousand small opens, each served by the same
/// supervisor. Prints the copy's time and the slowest round's time per open against rounds with no copy running.
/// </summary>
internal static class CopyUpBenchmark
{
    public static async Task RunAsync(int megabytes)
    {
        var work = Directory.CreateTempSubdirectory("sandlock-bench-").FullName;
        var storage = Directory.CreateTempSubdirectory("sandlock-bench-layers-").FullName;
        try
        {
            var loop = NativePrograms.Build("open_loop.c", Directory.CreateDirectory(work + "-bin").FullName);
            var workdir = Directory.CreateDirectory(Path.Combine(work, "tree")).FullName;
            await File.WriteAllTextAsync(Path.Combine(workdir, "small.txt"), "x");
            await using (var big = File.Create(Path.Combine(workdir, "big.bin")))
            {
                var chunk = new byte[1 << 20];
                Random.Shared.NextBytes(chunk);
                for (var i = 0; i < megabytes; i++) await big.WriteAsync(chunk);
            }
            var policy = new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/lib64").FsRead("/bin").FsRead(Path.GetDirectoryName(loop)!)
                .Workdir(workdir).FsStorage(storage).Cwd(workdir).OnExit(BranchAction.Abort).Build();
            async Task<string> Run(string script)
            {
                var result = await Sandbox.RunAsync(policy, ["/bin/sh", "-c", script]);
                if (!result.Success) throw new InvalidOperationException(result.StandardErrorText);
                return result.StandardOutputText;
            }
            var rounds = $"for i in 1 2 3 4 5 6 7 8 9 10; do {loop} 1000 small.txt; done";
            var alone = (await Run(rounds)).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToList();
            var during = await Run("(s=$(date +%s%N); echo x >> big.bin; echo copy $(( ($(date +%s%N) - s) / 1000000 ))) & " + rounds + "; wait");
            var lines = during.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var copyMs = lines.Single(l => l.StartsWith("copy ", StringComparison.Ordinal))[5..];
            var withCopy = lines.Where(l => !l.StartsWith("copy ", StringComparison.Ordinal)).Select(l => double.Parse(l, CultureInfo.InvariantCulture)).ToList();
            Console.WriteLine($"workdir copy-up of a {megabytes} MB file (open for append) beside rounds of 1000 small opens, one sandbox");
            Console.WriteLine($"  copy-up time                                {copyMs,8} ms");
            static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
            Console.WriteLine($"  small open, rounds alone          median {Median(alone),8:F0} ns   slowest {alone.Max(),8:F0} ns");
            Console.WriteLine($"  small open, rounds during copy    median {Median(withCopy),8:F0} ns   slowest {withCopy.Max(),8:F0} ns   ratio {Median(withCopy) / Median(alone):F2} / {withCopy.Max() / alone.Max():F2}");
            // Were the copy done on the notification thread, a round during it would take the whole copy time more.
            Console.WriteLine($"  a round stalled by the whole copy would be at least {double.Parse(copyMs, CultureInfo.InvariantCulture) * 1e6 / 1000 + Median(alone),8:F0} ns per open");
        }
        finally
        {
            Directory.Delete(work, true);
            if (Directory.Exists(work + "-bin")) Directory.Delete(work + "-bin", true);
            Directory.Delete(storage, true);
        }
    }
}
