using System.Diagnostics;
using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Testing.Policy;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing;

/// <summary>
/// Runs one test in a fresh child process confined by its policy and brings back what the framework reported
/// there. Never throws for a test-side problem: a bad policy, a crash, a timeout or an unexpected exit becomes a
/// failed result that says what happened.
/// </summary>
public static class SandboxedTestRunner
{
    public static async Task<IReadOnlyList<ChildTestResult>> RunAsync(SandboxedTestLaunch launch, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var temp = Directory.CreateTempSubdirectory("sandlock-test-").FullName;
        try
        {
            var assemblyPath = launch.TestAssembly.Location;
            var seed = launch.Settings.RandomSeed ?? TestSeed.For(launch.TestFullName);
            SandboxPolicy policy;
            try
            {
                policy = TestPolicy.Build(launch.Settings, ProjectPolicy.Of(launch.TestAssembly), Path.GetDirectoryName(assemblyPath)!, temp, seed);
            }
            catch (PolicyException e)
            {
                return [ChildFailure.PolicyRejected(e, clock.Elapsed)];
            }

            var requestPath = Path.Combine(temp, ProtocolJson.RequestFileName);
            ProtocolJson.Write(requestPath, new ChildTestRequest(launch.RunnerType, assemblyPath, launch.TestId, launch.FrameworkSettings));
            var command = ChildCommand.For(assemblyPath, requestPath);
            var timeout = launch.Settings.TimeoutSeconds is > 0 and var s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;

            SandboxResult run;
            try
            {
                run = launch.Confined
                    ? await RunConfinedAsync(policy, command, timeout, cancellationToken).ConfigureAwait(false)
                    : await UnconfinedChild.RunAsync(policy, command, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (SandboxSetupException e)
            {
                return [ChildFailure.SetupFailed(e, clock.Elapsed)];
            }

            var resultPath = Path.Combine(temp, ProtocolJson.ResultFileName);
            var report = File.Exists(resultPath) ? ProtocolJson.Read<ChildRunReport>(resultPath) : null;
            // The supervisor's record of what it refused (network destinations, limits) goes with the test's output.
            if (report is { HostError: null, Tests.Count: > 0 })
                return run.Denials.Count == 0
                    ? report.Tests
                    : [.. report.Tests.Select(t => t with { Output = t.Output + string.Concat(run.Denials.Select(d => $"\nsandlock denied: {d}")) })];
            return [ChildFailure.Describe(run, report?.HostError, policy, launch, timeout)];
        }
        finally
        {
            TryDelete(temp);
        }
    }

    private static async Task<SandboxResult> RunConfinedAsync(SandboxPolicy policy, string[] command, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        await using var sandbox = new Sandbox(policy, command, StdioMode.Capture) { Timeout = timeout };
        sandbox.Start();
        return await sandbox.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void TryDelete(string directory)
    {
        try { Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
