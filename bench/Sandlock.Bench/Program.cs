using System.Diagnostics;
using Sandlock.Lifecycle;
using Sandlock.Policy;

// Spawn-to-exit of /bin/true: Process.Start against a confined start through the C# API, in one process,
// interleaved so that machine noise hits both alike.
var rounds = args.Length > 0 ? int.Parse(args[0]) : 300;
var policy = new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/bin").FsRead("/etc").Build();

async Task<double> Bare()
{
    var sw = Stopwatch.StartNew();
    using var p = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
    await p.WaitForExitAsync();
    return sw.Elapsed.TotalMicroseconds;
}

async Task<double> Confined(StdioMode stdio)
{
    var sw = Stopwatch.StartNew();
    await using var sandbox = new Sandbox(policy, ["/bin/true"], stdio);
    sandbox.Start();
    var result = await sandbox.WaitAsync();
    if (result.ExitCode != 0) throw new InvalidOperationException($"/bin/true failed in the sandbox: {result.Status}");
    return sw.Elapsed.TotalMicroseconds;
}

for (var i = 0; i < 30; i++) { await Bare(); await Confined(StdioMode.Inherit); await Confined(StdioMode.Capture); }
var bare = new List<double>();
var confined = new List<double>();
var captured = new List<double>();
for (var i = 0; i < rounds; i++)
{
    bare.Add(await Bare());
    confined.Add(await Confined(StdioMode.Inherit));
    captured.Add(await Confined(StdioMode.Capture));
}

static double Median(List<double> xs) { xs.Sort(); return xs[xs.Count / 2]; }
var b = Median(bare);
var c = Median(confined);
var k = Median(captured);
Console.WriteLine($"rounds: {rounds}");
Console.WriteLine($"Process.Start(/bin/true)                      median {b,8:F0} us");
Console.WriteLine($"Sandbox /bin/true (Landlock+seccomp)          median {c,8:F0} us  ratio {c / b:F2}");
Console.WriteLine($"Sandbox /bin/true, output captured            median {k,8:F0} us  ratio {k / b:F2}");
