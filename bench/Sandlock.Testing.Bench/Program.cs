using System.Diagnostics;
using System.Globalization;
using Sandlock.Testing;
using Sandlock.Testing.Bench;
using Sandlock.Testing.Policy;
using Sandlock.Testing.Protocol;
using Sandlock.Testing.Xunit.Child;

if (args is ["vstest-host", var feed, var version, ..])
    return await VsTestHostBenchmark.RunAsync(feed, version, args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 10);

// Per-test cost of [Sandboxed] (confined child) against the same child path without confinement and against
// xunit's runner in this process, in a shuffled order per round. Usage: [ROUNDS] [ENV=VALUE ...] (env for the children).
// `suite [ROUNDS] [CLASSES] [TESTS] [Assembly,Class,Test] [nunit]`: whole dotnet test runs of a generated suite (xunit, or
// NUnit), plain against each isolation (or those named).
// `shared [ROUNDS]`: only a test in a shared child against xunit's runner in this process (a profile's workload).
if (args is ["setup", ..])
{
    SetupPhases.Run(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200);
    return 0;
}
if (args is ["suite", ..])
{
    int Arg(int at, int fallback) => args.Length > at && int.TryParse(args[at], out var v) ? v : fallback;
    string[] names = ["ROUNDS", "CLASSES", "TESTS"];
    for (var at = 1; at <= 3 && at < args.Length; at++)
    {
        if (int.TryParse(args[at], NumberStyles.None, CultureInfo.InvariantCulture, out var given) && given >= 1) continue;
        Console.Error.WriteLine($"suite: {names[at - 1]} (argument {at}) must be a whole number of at least 1, not '{args[at]}'");
        return 2;
    }
    SuiteBenchmark.Run(Arg(1, 5), Arg(2, 20), Arg(3, 15), args.Length > 4 && args[4] != "all" ? args[4].Split(',') : [],
        nunit: args.Length > 5 && args[5].Equals("nunit", StringComparison.OrdinalIgnoreCase));
    return 0;
}
var sharedOnly = args is ["shared", ..];
if (sharedOnly) args = args[1..];
var rounds = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 30;
foreach (var assignment in args.Skip(1))
{
    var eq = assignment.IndexOf('=');
    Environment.SetEnvironmentVariable(assignment[..eq], assignment[(eq + 1)..]);
}

var runnerType = typeof(XunitChildTestRunner).AssemblyQualifiedName!;
SandboxedTestLaunch Launch(bool confined) => new(typeof(BenchTests).Assembly, "Sandlock.Testing.Bench.BenchTests.AddsNumbers",
    BenchTestCase.Serialized, runnerType, SandboxSettings.Empty) { Confined = confined };

var sharedScope = new Sandlock.Testing.Sharing.SharingScope(new Sandlock.Testing.Sharing.SharedChildPool(), "bench");
var variants = new (string Name, Func<Task<IReadOnlyList<ChildTestResult>>> Run)[]
{
    ("[Sandboxed] confined child", () => SandboxedTestRunner.RunAsync(Launch(confined: true))),
    ("[Sandboxed] test in a shared child (Isolation.Assembly)", () => SandboxedTestRunner.RunAsync(Launch(confined: true) with
        { Settings = SandboxSettings.Empty with { Isolation = SandboxIsolation.Assembly }, AssemblyScope = sharedScope })),
    ("plain child, same runner path", () => SandboxedTestRunner.RunAsync(Launch(confined: false))),
    ("in-process, xunit runner", () => new XunitChildTestRunner().RunAsync(new ChildTestRequest(runnerType, typeof(BenchTests).Assembly.Location,
        BenchTestCase.Serialized, new Dictionary<string, string>()))),
};

if (sharedOnly) variants = [variants[1], variants[3]];
var samples = variants.ToDictionary(v => v.Name, _ => new List<double>());
var random = new Random(42);
for (var round = -3; round < rounds; round++)
{
    foreach (var (name, run) in variants.OrderBy(_ => random.Next()))
    {
        var clock = Stopwatch.StartNew();
        var results = await run();
        clock.Stop();
        if (results is not [{ Outcome: TestOutcome.Passed }])
            throw new InvalidOperationException($"{name}: {string.Join("; ", results.Select(r => $"{r.Outcome} {r.PrimaryFailure?.Message}"))}");
        if (round >= 0) samples[name].Add(clock.Elapsed.TotalMilliseconds);
    }
}

// Ends the shared child and removes its session folder.
await sharedScope.Pool.DisposeAsync();

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
var plain = Median(samples[variants[sharedOnly ? 1 : 2].Name]);
Console.WriteLine($"{rounds} rounds; child env: {(args.Length > 1 ? string.Join(' ', args.Skip(1)) : "(default)")}");
Console.WriteLine($"| variant | median | ratio to {(sharedOnly ? "in-process" : "plain child")} |");
Console.WriteLine("|---|---|---|");
foreach (var (name, _) in variants)
{
    var median = Median(samples[name]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {median:0.0} ms | {median / plain:0.00} |"));
}
return 0;
