using System.Diagnostics;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Bench;

/// <summary>
/// The command of one routed build step (<c>/bin/sh</c> writing a file and running <c>cat</c>), output captured, as
/// an exec in a session against Process.Start of the same command, in a shuffled order each round: under a step's own
/// defaults (/etc carved around its credential files, /proc readable: the /proc view and the carved folders hold every
/// open by path, whether refusals are recorded or not) with and without record_filesystem_denials, and under a
/// minimal policy whose supervisor holds no open. The Core part of <c>bench/Sandlock.Build.Bench</c>'s per-step cost,
/// without MSBuild.
/// </summary>
internal static class StepBenchmark
{
    public static async Task RunAsync(int rounds)
    {
        const int warmup = 30;
        var work = Directory.CreateTempSubdirectory("sandlock-bench-step-").FullName;
        var backend = new LocalSandboxBackend();
        try
        {
            var output = Directory.CreateDirectory(Path.Combine(work, "obj")).FullName;
            await File.WriteAllTextAsync(Path.Combine(work, "input.txt"), "input\n");
            string[] command = ["/bin/sh", "-c", "echo step > obj/step.txt && cat input.txt > /dev/null"];
            SandboxPolicy Step(bool record) => Policy.FrontDoorDefaults.AddSystem(new SandboxPolicyBuilder(), Policy.ChildRoot.Host)
                .FsRead(work).FsWrite(output).FsWrite("/dev/null").Cwd(work).RecordFilesystemDenials(record).Build();
            var minimal = new SandboxPolicyBuilder()
                .FsRead("/usr").FsRead("/lib").FsRead("/bin").FsRead("/etc").FsRead("/dev").FsWrite("/dev/null").FsRead(work).FsWrite(output)
                .Cwd(work).Build();
            var recorded = await backend.ProvisionAsync(Step(record: true));
            var unrecorded = await backend.ProvisionAsync(Step(record: false));
            var minimalHeld = await backend.ProvisionAsync(minimal);
            var supervisedOnly = await backend.ProvisionAsync(minimal.ToBuilder().NetAllow("127.0.0.1:1").Build());
            var request = new ExecRequest(command) { OnStandardOutput = _ => { }, OnStandardError = _ => { } };

            async Task Exec(SandboxSession session)
            {
                await using var sandbox = backend.Start(session, request);
                var result = await sandbox.WaitAsync();
                if (result.ExitCode != 0 || result.Denials.Count != 0)
                    throw new InvalidOperationException($"the step failed in the session: {result.Status}, {result.Denials.Count} denial(s)");
            }
            var variants = new (string Name, Func<Task> Run)[]
            {
                ("Process.Start(sh -c ...), output redirected", async () =>
                {
                    var start = new ProcessStartInfo(command[0]) { WorkingDirectory = work, RedirectStandardOutput = true, RedirectStandardError = true };
                    foreach (var argument in command[1..]) start.ArgumentList.Add(argument);
                    using var process = Process.Start(start)!;
                    await process.StandardOutput.ReadToEndAsync();
                    await process.WaitForExitAsync();
                }),
                ("step defaults, record_filesystem_denials", () => Exec(recorded)),
                ("step defaults, without recording", () => Exec(unrecorded)),
                ("minimal policy, no held open", () => Exec(minimalHeld)),
                ("minimal policy, supervised (a network rule)", () => Exec(supervisedOnly)),
            };

            var samples = variants.Select(_ => new List<double>()).ToArray();
            var cpu = new double[variants.Length];
            // Bytes this process allocates a step (the supervisor's thread included): in an MSBuild node they bring its GCs nearer.
            var allocated = new double[variants.Length];
            var shuffle = new Random(42);
            for (var round = 0; round < warmup + rounds; round++)
            {
                foreach (var i in Enumerable.Range(0, variants.Length).OrderBy(_ => shuffle.Next()))
                {
                    var before = Process.GetCurrentProcess().TotalProcessorTime;
                    var bytesBefore = GC.GetTotalAllocatedBytes(precise: true);
                    var clock = Stopwatch.StartNew();
                    await variants[i].Run();
                    if (round < warmup) continue;
                    samples[i].Add(clock.Elapsed.TotalMicroseconds);
                    allocated[i] += GC.GetTotalAllocatedBytes(precise: true) - bytesBefore;
                    cpu[i] += (Process.GetCurrentProcess().TotalProcessorTime - before).TotalMicroseconds;
                }
            }

            double Median(List<double> xs) { xs.Sort(); return xs[xs.Count / 2]; }
            var bare = Median(samples[0]);
            Console.WriteLine($"one build step's command, spawn-to-exit, median of {rounds} rounds ({Environment.ProcessorCount} CPUs); CPU and bytes allocated: this process's, mean");
            for (var i = 0; i < variants.Length; i++)
            {
                var median = Median(samples[i]);
                Console.WriteLine($"  {variants[i].Name,-46} {median,7:F0} us   ratio {median / bare:F2}   +{median - bare,5:F0} us   CPU {cpu[i] / rounds,6:F0} us   allocated {allocated[i] / rounds / 1024,5:F1} KiB");
            }
            await backend.TerminateAsync(recorded);
            await backend.TerminateAsync(unrecorded);
            await backend.TerminateAsync(minimalHeld);
            await backend.TerminateAsync(supervisedOnly);
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }
}
