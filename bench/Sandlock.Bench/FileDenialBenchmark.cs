using System.Globalization;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Bench;

/// <summary>
/// The price of a held open: one open+close of an allowed file in the same sandbox with and without
/// record_filesystem_denials (every open is then held by the supervisor), and under a build step's defaults, whose
/// /proc view and carved /etc hold every open by path without recording, as ratios.
/// </summary>
internal static class FileDenialBenchmark
{
    public static async Task RunAsync(int opens)
    {
        var work = Directory.CreateTempSubdirectory("sandlock-bench-").FullName;
        try
        {
            var loop = NativePrograms.Build("open_loop.c", work);
            var target = Path.Combine(work, "target.txt");
            await File.WriteAllTextAsync(target, "x");
            async Task<double> Median(bool record, bool stepDefaults = false)
            {
                var policy = (stepDefaults ? Policy.FrontDoorDefaults.AddSystem(new SandboxPolicyBuilder(), Policy.ChildRoot.Host)
                    : new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/etc")).FsRead(work).RecordFilesystemDenials(record).Build();
                var samples = new List<double>();
                for (var i = 0; i < 5; i++)
                {
                    await using var sandbox = new Sandbox(policy, [loop, opens.ToString(CultureInfo.InvariantCulture), target]);
                    sandbox.Start();
                    var result = await sandbox.WaitAsync();
                    samples.Add(double.Parse(result.StandardOutputText.Trim(), CultureInfo.InvariantCulture));
                }
                samples.Sort();
                return samples[samples.Count / 2];
            }
            var plain = await Median(record: false);
            var recorded = await Median(record: true);
            var viewed = await Median(record: false, stepDefaults: true);
            Console.WriteLine($"open+close of an allowed file, {opens} times, median of 5 runs");
            Console.WriteLine($"  same sandbox, no recording                 {plain,8:F0} ns");
            Console.WriteLine($"  record_filesystem_denials (open held)      {recorded,8:F0} ns   ratio {recorded / plain:F2}");
            Console.WriteLine($"  a step's defaults (the /proc view holds it) {viewed,8:F0} ns   ratio {viewed / plain:F2}");

            // Every file seen once: a compiler reading a tree. Each open is resolved before it is let through.
            const int files = 1000;
            var tree = Directory.CreateDirectory(Path.Combine(work, "tree")).FullName;
            for (var i = 0; i < files; i++) await File.WriteAllTextAsync(Path.Combine(tree, $"f{i:D4}.txt"), "x");
            async Task<double> FirstSight(bool record)
            {
                // A build step's defaults: /etc is carved around its credential files, a rule per entry.
                var policy = Policy.FrontDoorDefaults.AddSystem(new SandboxPolicyBuilder(), Policy.ChildRoot.Host)
                    .FsRead(work).RecordFilesystemDenials(record).Build();
                var samples = new List<double>();
                for (var i = 0; i < 7; i++)
                {
                    await using var sandbox = new Sandbox(policy, ["/bin/sh", "-c", $"cat {tree}/*.txt > /dev/null"]);
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    sandbox.Start();
                    var result = await sandbox.WaitAsync();
                    if (result.ExitCode != 0) throw new InvalidOperationException($"cat failed: {result.StandardErrorText}");
                    samples.Add(clock.Elapsed.TotalMicroseconds);
                }
                samples.Sort();
                return samples[samples.Count / 2];
            }
            var unseen = await FirstSight(record: false);
            var unseenRecorded = await FirstSight(record: true);
            Console.WriteLine($"cat of {files} files by absolute path, each opened once, median of 7 runs");
            Console.WriteLine($"  same sandbox, no recording                 {unseen,8:F0} us");
            Console.WriteLine($"  record_filesystem_denials                   {unseenRecorded,8:F0} us   +{(unseenRecorded - unseen) / files:F1} us an open");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }
}
