using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Sandlock.Build.Bench;

// A class library with 20 Exec steps, built with SandlockRouteExec on and off in alternating order; prints the
// median whole-build time and the median time of the 20-step target, each as a ratio (routed / plain), and the
// per-step cost of a routed step over a plain one.
// `reuse`: MSBuild nodes stay up between builds (-nr:true, a developer's machine), so each build's steps run in a node
// that has loaded and compiled Sandlock.Build already; without it every build starts fresh nodes (-nr:false, CI).
var reuse = args.Contains("reuse");
Dotnet.ReuseNodes = reuse;
var rounds = args.FirstOrDefault(a => a.All(char.IsAsciiDigit)) is { } given ? int.Parse(given, CultureInfo.InvariantCulture) : 8;
string Metadata(string key) => typeof(StepsFixture).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
var repository = Metadata("RepositoryRoot");
var configuration = Metadata("Configuration");

var root = Directory.CreateTempSubdirectory("sandlock-build-bench-").FullName;
try
{
    var version = $"0.1.0-bench.{DateTime.UtcNow:yyyyMMddHHmmss}";
    var feed = Path.Combine(root, "feed");
    Dotnet.Run(repository, "pack", Path.Combine(repository, "src", "Sandlock.Build", "Sandlock.Build.csproj"),
        "-c", configuration, "--no-build", "-nr:false", "-o", feed, $"-p:PackageVersion={version}");
    var project = StepsFixture.Create(root, feed, version);
    var directory = Path.GetDirectoryName(project)!;
    Dotnet.Run(directory, "restore", project);
    Build(project, routed: false, reuse); // warm-up: compiles once; later builds only run the steps and up-to-date checks
    if (reuse) Build(project, routed: true, reuse);

    var samples = new Dictionary<bool, List<(double Build, double Steps)>> { [false] = [], [true] = [] };
    for (var round = 0; round < rounds; round++)
        foreach (var routed in round % 2 == 0 ? new[] { false, true } : [true, false])
            samples[routed].Add(Build(project, routed, reuse));

    double Median(IEnumerable<double> values) { var v = values.Order().ToList(); return v.Count % 2 == 1 ? v[v.Count / 2] : (v[v.Count / 2 - 1] + v[v.Count / 2]) / 2; }
    var plainBuild = Median(samples[false].Select(s => s.Build));
    var routedBuild = Median(samples[true].Select(s => s.Build));
    var plainSteps = Median(samples[false].Select(s => s.Steps));
    var routedSteps = Median(samples[true].Select(s => s.Steps));
    Console.WriteLine($"{StepsFixture.StepCount} Exec steps, {rounds} builds each, medians (dotnet build --no-restore -nr:{(reuse ? "true, nodes warm" : "false")}):");
    Console.WriteLine($"| variant | whole build | 20-step target |");
    Console.WriteLine($"|---|---|---|");
    Console.WriteLine($"| plain Exec | {plainBuild:F0} ms | {plainSteps:F0} ms |");
    Console.WriteLine($"| SandlockRouteExec=true | {routedBuild:F0} ms | {routedSteps:F0} ms |");
    Console.WriteLine($"| ratio | {routedBuild / plainBuild:F3} | {routedSteps / plainSteps:F3} |");
    // Every routed step of one build runs in one session (one policy): this is what an exec in it adds to an Exec.
    Console.WriteLine($"per step: plain Exec {plainSteps / StepsFixture.StepCount:F2} ms, routed {routedSteps / StepsFixture.StepCount:F2} ms, " +
        $"routed costs {(routedSteps - plainSteps) / StepsFixture.StepCount:F2} ms more");
    // Each round builds both ways back to back: the median of those differences is less moved by the machine's drift.
    var paired = Median(samples[true].Zip(samples[false], (routed, plain) => routed.Build - plain.Build));
    var pairedSteps = Median(samples[true].Zip(samples[false], (routed, plain) => routed.Steps - plain.Steps));
    Console.WriteLine($"paired by round (median of routed - plain): whole build +{paired:F1} ms ({(plainBuild + paired) / plainBuild:F3}x), " +
        $"20-step target +{pairedSteps:F1} ms, outside it +{paired - pairedSteps:F1} ms");
}
finally
{
    if (reuse) Dotnet.Run(root, "build-server", "shutdown", "--msbuild");
    // SANDLOCK_BENCH_KEEP: leaves the feed and the fixture project, to look into a build.
    if (Environment.GetEnvironmentVariable("SANDLOCK_BENCH_KEEP") is { Length: > 0 }) Console.Error.WriteLine($"kept {root}");
    else Directory.Delete(root, recursive: true);
}

static (double Build, double Steps) Build(string project, bool routed, bool reuse)
{
    var clock = Stopwatch.StartNew();
    var output = Dotnet.Run(Path.GetDirectoryName(project)!, "build", project, "--no-restore", $"-nr:{(reuse ? "true" : "false")}", "-tl:false",
        "-v:q", "-clp:PerformanceSummary", $"-p:SandlockRouteExec={(routed ? "true" : "false")}");
    var elapsed = clock.Elapsed.TotalMilliseconds;
    var steps = Regex.Match(output, @"(?m)^\s*(\d+) ms\s+Steps\s+1 calls");
    return (elapsed, steps.Success ? double.Parse(steps.Groups[1].Value, CultureInfo.InvariantCulture) : double.NaN);
}
