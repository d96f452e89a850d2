using System.Diagnostics;
using System.Globalization;

namespace Sandlock.Testing.Bench;

/// <summary>
/// Whole <c>dotnet test --no-build</c> of a generated suite (CLASSES x TESTS trivial tests): plain against each
/// isolation, rounds shuffled; and a bare <c>dotnet hello.dll</c> start against the per-test cost of Isolation = Test.
/// </summary>
internal static class SuiteBenchmark
{
    /// <summary>
    /// The plain run gets the room in the test host's thread pool that a sandboxed run makes itself
    /// (<see cref="ParentThreadPool.WantedWorkers"/>): without it, xunit's discovery on 2 CPUs waits ~0.8 s for the
    /// pool's starvation guard in about half the plain runs (every run in some suites), which made the sandboxed runs
    /// look cheaper than they are.
    /// </summary>
    private static readonly Dictionary<string, string> PlainPoolRoom = new()
    {
        ["DOTNET_ThreadPool_ForceMinWorkerThreads"] = ParentThreadPool.WantedWorkers.ToString(CultureInfo.InvariantCulture),
    };

    /// <param name="only">Isolations to run beside plain (all when empty): a shorter run to compare one mode across builds.</param>
    public static void Run(int rounds, int classes, int testsPerClass, IReadOnlyCollection<string> only, bool nunit = false)
    {
        var framework = nunit ? "NUnit" : "xunit";
        var root = Directory.CreateTempSubdirectory("sandlock-suite-bench-").FullName;
        try
        {
            // SANDLOCK_BENCH_BASELINE: another checkout (built) whose isolations run too, to compare a change in one run.
            var baseline = Environment.GetEnvironmentVariable("SANDLOCK_BENCH_BASELINE") is { Length: > 0 } b ? Path.GetFullPath(b) : null;
            var variants = new (string Name, string? Isolation)[] { ("plain", null), ("Isolation.Assembly", "Assembly"), ("Isolation.Class", "Class"), ("Isolation.Test", "Test") }
                .Where(v => v.Isolation is null || only.Count == 0 || only.Contains(v.Isolation)).ToArray();
            var folders = variants.ToDictionary(v => v.Name, v => GeneratedSuite.Write(root, v.Isolation ?? "Plain", v.Isolation, classes, testsPerClass, nunit: nunit));
            if (baseline is not null)
            {
                foreach (var (name, isolation) in variants.Where(v => v.Isolation is not null).ToArray())
                    folders["baseline " + name] = GeneratedSuite.Write(root, "Baseline" + isolation, isolation, classes, testsPerClass, baseline, nunit);
                variants = [.. variants, .. variants.Where(v => v.Isolation is not null).Select(v => ("baseline " + v.Name, v.Isolation))];
            }
            foreach (var folder in folders.Values) Dotnet.Run(folder, "build", "-c", "Release", "-nr:false");
            var hello = GeneratedSuite.WriteHello(root);
            Dotnet.Run(hello, "build", "-c", "Release", "-nr:false");
            var helloDll = Path.Combine(hello, "bin/Release/net10.0/Hello.dll");

            var samples = variants.ToDictionary(v => v.Name, _ => new List<double>());
            var cpuSamples = variants.ToDictionary(v => v.Name, _ => new List<double>());
            var bare = new List<double>();
            var bareCpu = TimeSpan.Zero;
            var bareStarts = 0;
            var random = new Random(42);
            for (var round = -1; round < rounds; round++)
            {
                foreach (var (name, _) in variants.OrderBy(_ => random.Next()))
                {
                    var (elapsed, output, cpu) = Dotnet.RunWithOutput(folders[name], name == "plain" ? PlainPoolRoom : new Dictionary<string, string>(),
                        "test", "--no-build", "-c", "Release");
                    // A run that found no tests would look fast.
                    if (!System.Text.RegularExpressions.Regex.IsMatch(output, $@"Passed:\s+{classes * testsPerClass}\b"))
                        throw new InvalidOperationException($"{name}: not {classes * testsPerClass} tests passed:\n{output}");
                    if (round >= 0)
                    {
                        samples[name].Add(elapsed.TotalMilliseconds);
                        cpuSamples[name].Add(cpu.TotalMilliseconds);
                    }
                }
                var cpuBefore = ChildrenCpu.Now();
                for (var i = 0; i < 5; i++)
                {
                    var clock = Stopwatch.StartNew();
                    using var process = Process.Start(new ProcessStartInfo("dotnet", ["exec", helloDll]) { RedirectStandardOutput = true })!;
                    process.StandardOutput.ReadToEnd();
                    process.WaitForExit();
                    if (round >= 0) bare.Add(clock.Elapsed.TotalMilliseconds);
                }
                // The CPU clock counts in 10 ms ticks: summed over every start, not taken per start.
                if (round >= 0)
                {
                    bareCpu += ChildrenCpu.Now() - cpuBefore;
                    bareStarts += 5;
                }
            }

            static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
            var tests = classes * testsPerClass;
            var plain = Median(samples["plain"]);
            var bareStart = Median(bare);
            var plainCpu = Median(cpuSamples["plain"]);
            Console.WriteLine($"{rounds} rounds; {classes} classes x {testsPerClass} tests = {tests} trivial {framework} tests; dotnet test --no-build, whole wall time and CPU time of its process tree; {Environment.ProcessorCount} CPUs; plain runs with the pool room a sandboxed run makes itself");
            // The fastest round beside the median: runs of the same suite on this VM scatter by a few hundred ms.
            var plainFastest = samples["plain"].Min();
            Console.WriteLine("| variant | median | ratio to plain | fastest | ratio to plain's fastest | CPU median | CPU ratio to plain |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            foreach (var (name, _) in variants)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {Median(samples[name]):0} ms | {Median(samples[name]) / plain:0.00} | {samples[name].Min():0} ms | {samples[name].Min() / plainFastest:0.00} | {Median(cpuSamples[name]):0} ms | {Median(cpuSamples[name]) / plainCpu:0.00} |"));
            if (!samples.ContainsKey("Isolation.Test")) return;
            // The run time a test adds, and where xunit runs classes side by side (one child per CPU at a time) what each
            // test's child takes in its slot: the added time times the tests running at once. NUnit runs a suite's tests
            // one after the other unless told otherwise.
            var slots = nunit ? 1 : Math.Min(Environment.ProcessorCount, classes);
            var perTest = (Median(samples["Isolation.Test"]) - plain) / tests;
            var perTestFastest = (samples["Isolation.Test"].Min() - plainFastest) / tests;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bare `dotnet hello.dll`: {bareStart:0.0} ms; Isolation.Test adds {perTest:0.0} ms of run time per test = {perTest / bareStart:0.00}x a bare start (medians); fastest runs: {perTestFastest:0.0} ms = {perTestFastest / bareStart:0.00}x"));
            if (slots > 1)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{slots} tests at once: each test's child takes {perTest * slots:0.0} ms in its slot = {perTest * slots / bareStart:0.00}x a bare start (medians)"));
            var bareStartCpu = bareCpu.TotalMilliseconds / Math.Max(1, bareStarts);
            foreach (var name in samples.Keys.Where(n => n.EndsWith("Isolation.Test", StringComparison.Ordinal)))
            {
                var cpuPerTest = (Median(cpuSamples[name]) - plainCpu) / tests;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{name} in CPU: a bare start takes {bareStartCpu:0.0} ms; a test adds {cpuPerTest:0.0} ms = {cpuPerTest / bareStartCpu:0.00}x a bare start"));
            }
        }
        finally
        {
            // SANDLOCK_BENCH_KEEP: leaves the generated projects, to look into a run.
            try
            {
                if (Environment.GetEnvironmentVariable("SANDLOCK_BENCH_KEEP") is not { Length: > 0 }) Directory.Delete(root, recursive: true);
            }
            catch (IOException) { }
        }
    }
}
