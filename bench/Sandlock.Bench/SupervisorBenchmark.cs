using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Supervision;

namespace Sandlock.Bench;

/// <summary>
/// One supervised syscall round trip (getppid held by a C# handler that lets it continue) against the C reference
/// (native/floor.c, the C floor of one supervised syscall) built and run in the same benchmark.
/// </summary>
internal static partial class SupervisorBenchmark
{
    private sealed class ContinueGetppid : SyscallHandler
    {
        public override IReadOnlyCollection<string> Syscalls { get; } = ["getppid"];

        public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session) =>
            ValueTask.FromResult(SyscallDecision.Allow);
    }

    public static async Task RunAsync(int calls)
    {
        var work = Directory.CreateTempSubdirectory("sandlock-bench-").FullName;
        try
        {
            var floor = NativePrograms.Build("floor.c", work);
            var loop = NativePrograms.Build("getppid_loop.c", work);
            var reference = NativePrograms.Run(floor, [], new Dictionary<string, string> { ["SYNC"] = "1" });
            var referenceNs = double.Parse(RoundTrip().Match(reference).Groups[1].Value, CultureInfo.InvariantCulture);

            var policy = new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead(work).Build();
            var samples = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                await using var sandbox = new Sandbox(policy, [loop, calls.ToString(CultureInfo.InvariantCulture)]) { Handlers = [new ContinueGetppid()] };
                sandbox.Start();
                var result = await sandbox.WaitAsync();
                samples.Add(double.Parse(result.StandardOutputText.Trim(), CultureInfo.InvariantCulture));
            }
            samples.Sort();
            var ours = samples[samples.Count / 2];
            Console.WriteLine($"supervised getppid round trip, {calls} calls, median of 5 runs");
            Console.WriteLine($"  C reference (floor.c, blocking ioctl, SYNC_WAKE_UP)   {referenceNs,8:F0} ns");
            Console.WriteLine($"  Sandlock C# supervisor (blocking receive, SYNC_WAKE_UP) {ours,8:F0} ns   ratio {ours / referenceNs:F2}");
        }
        finally
        {
            Directory.Delete(work, true);
        }
    }

    [GeneratedRegex(@"getppid via user notification \(C supervisor, blocking ioctl\): (\d+) ns")]
    private static partial Regex RoundTrip();
}
