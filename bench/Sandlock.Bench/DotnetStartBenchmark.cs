using System.Diagnostics;
using System.Globalization;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Bench;

/// <summary>
/// A .NET start (<c>dotnet hello.dll</c>, the start every sandboxed test's child pays) bare, confined the way a
/// <c>[Sandboxed]</c> test's child is (all of / readable, so /proc through the supervisor's view; refusals recorded),
/// and confined alike without a supervisor (nothing held). The difference between the last two is what holding the
/// runtime's opens costs: each is a round trip to the supervisor, and an open under /proc one more through ADDFD.
/// Wall time per start (median) and CPU per start (this process and its reaped children, summed over the rounds).
/// </summary>
internal static class DotnetStartBenchmark
{
    public static async Task RunAsync(int rounds)
    {
        const int warmup = 5;
        var work = Directory.CreateTempSubdirectory("sandlock-bench-dotnet-").FullName;
        try
        {
            var hello = BuildHello(work);
            // The host running this benchmark, so that every variant starts the same one.
            var dotnet = Environment.ProcessPath is { } host && Path.GetFileName(host) == "dotnet" ? host : "/usr/bin/dotnet";
            var temp = Directory.CreateDirectory(Path.Combine(work, "tmp")).FullName;
            var held = new SandboxPolicyBuilder().FsRead("/").FsWrite(temp).Env("TMPDIR", temp).RecordFilesystemDenials().Build();
            var unheld = held.ToBuilder().RecordFilesystemDenials(false).NoSupervisor().Build();
            var variants = new (string Name, Func<Task> Run)[]
            {
                ("Process.Start(dotnet hello.dll)", async () =>
                {
                    var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, UseShellExecute = false };
                    start.ArgumentList.Add(hello);
                    using var process = Process.Start(start)!;
                    await process.StandardOutput.ReadToEndAsync();
                    await process.WaitForExitAsync();
                }),
                ("Sandbox: / readable (/proc view), refusals recorded", () => Confined(held)),
                ("Sandbox: same, --no-supervisor (no open held)", () => Confined(unheld)),
            };

            async Task Confined(SandboxPolicy policy)
            {
                await using var sandbox = new Sandbox(policy, [dotnet, hello], StdioMode.Capture);
                sandbox.Start();
                var result = await sandbox.WaitAsync();
                if (result.ExitCode != 0 || result.StandardOutputText.Trim() != "hello")
                    throw new InvalidOperationException($"dotnet hello.dll failed in the sandbox: {result.Status} {result.StandardErrorText}");
            }

            var samples = variants.Select(_ => new List<double>()).ToArray();
            var cpu = new double[variants.Length];
            var shuffle = new Random(42);
            for (var round = 0; round < warmup + rounds; round++)
            {
                foreach (var i in Enumerable.Range(0, variants.Length).OrderBy(_ => shuffle.Next()))
                {
                    var cpuBefore = ProcessCpu.Milliseconds();
                    var clock = Stopwatch.StartNew();
                    await variants[i].Run();
                    if (round < warmup) continue;
                    samples[i].Add(clock.Elapsed.TotalMilliseconds);
                    cpu[i] += ProcessCpu.Milliseconds() - cpuBefore;
                }
            }

            static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
            var bare = Median(samples[0]);
            var bareCpu = cpu[0] / rounds;
            Console.WriteLine($"a .NET start (dotnet hello.dll) to its exit, median of {rounds} rounds ({Environment.ProcessorCount} CPUs); CPU: this process's and its children's, per start");
            for (var i = 0; i < variants.Length; i++)
            {
                var median = Median(samples[i]);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {variants[i].Name,-54} {median,6:F1} ms   ratio {median / bare:F2}   CPU {cpu[i] / rounds,5:F1} ms   ratio {cpu[i] / rounds / bareCpu:F2}"));
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  the held opens: +{Median(samples[1]) - Median(samples[2]):F1} ms a start, +{(cpu[1] - cpu[2]) / rounds:F1} ms of CPU"));
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    private static string BuildHello(string work)
    {
        var project = Directory.CreateDirectory(Path.Combine(work, "Hello")).FullName;
        File.WriteAllText(Path.Combine(project, "Hello.csproj"),
            "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework></PropertyGroup></Project>\n");
        File.WriteAllText(Path.Combine(project, "Program.cs"), "System.Console.WriteLine(\"hello\");\n");
        NativePrograms.Run("dotnet", ["build", project, "-c", "Release", "-nr:false", "-v:q", "-p:UseSharedCompilation=false", "-o", Path.Combine(project, "out")]);
        return Path.Combine(project, "out", "Hello.dll");
    }
}
