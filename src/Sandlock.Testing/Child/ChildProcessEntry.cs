using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Child;

/// <summary>
/// Main of the child host. <c>REQUEST</c> (a <see cref="ProtocolCodec.RequestFileName"/>): runs that one test through
/// the named runner and writes <see cref="ProtocolCodec.ResultFileName"/> beside it. <c>--shared SOCKET</c>: runs the
/// tests the parent sends over that socket, one after the other (<see cref="SharedChildMessage"/>), until the parent
/// closes it. Exit code 0 once results are written, whatever the tests' outcomes.
/// </summary>
public static class ChildProcessEntry
{
    public const string SharedFlag = "--shared";

    /// <summary>
    /// The child's whole life, on the thread that called it; the task is complete when it returns. The child does
    /// nothing else while a framework runs its tests, so it waits for the framework's tasks instead of awaiting them:
    /// each async method that suspended cost every child the JIT of its state machine's box.
    /// </summary>
    public static Task<int> RunAsync(string[] args) => Task.FromResult(Run(args));

    private static int Run(string[] args)
    {
        if (args is [SharedFlag, var socketPath, .. var prepare] && prepare.Length is 0 or 2 && OperatingSystem.IsLinux())
            return RunShared(socketPath, prepare is [var runnerType, var assemblyPath] ? (runnerType, assemblyPath) : null);
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: Sandlock.Testing.Host REQUEST | --shared SOCKET [RUNNER ASSEMBLY] (started by Sandlock.Testing, not by hand)");
            return 2;
        }
        var requestPath = args[0];
        var resultPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(requestPath))!, ProtocolCodec.ResultFileName);
        ChildThreadPool.MakeWorkers();
        ChildRunReport report;
        try
        {
            report = RunOne(ProtocolCodec.ReadRequest(requestPath), []);
        }
        catch (Exception e)
        {
            report = new ChildRunReport([], e.ToString());
        }
        ProtocolCodec.Write(resultPath, report);
        return 0;
    }

    private static ChildRunReport RunOne(ChildTestRequest request, Dictionary<string, IChildTestRunner> runners)
    {
        try
        {
            var runner = RunnerOf(request.RunnerType, runners);
            var report = new ChildRunReport(runner.RunAsync(request).GetAwaiter().GetResult(), null);
            return report.Tests.Count == 0 ? report with { HostError = $"the framework ran no test named {request.TestId}" } : report;
        }
        catch (Exception e)
        {
            return new ChildRunReport([], e.ToString());
        }
    }

    // One runner per framework for the life of the child: it keeps the loaded test assembly between tests.
    private static IChildTestRunner RunnerOf(string runnerType, Dictionary<string, IChildTestRunner> runners)
    {
        if (!runners.TryGetValue(runnerType, out var runner))
            runners[runnerType] = runner = (IChildTestRunner)Activator.CreateInstance(Type.GetType(runnerType, throwOnError: true)!)!;
        return runner;
    }

    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static int RunShared(string socketPath, (string RunnerType, string AssemblyPath)? prepare)
    {
        // Blocking reads and writes: the child does nothing else while it waits for the parent, and the pool hop of
        // each async read only costs it time.
        using var stream = ParentConnection.Open(socketPath);
        var runners = new Dictionary<string, IChildTestRunner>();
        // The runtime seeds its generators on first use (lrand48 from time, the /dev/urandom fd): done here, before
        // any test, so that no test's draws depend on whether it came first; so do the pool's workers.
        _ = Guid.NewGuid();
        ChildThreadPool.MakeWorkers();
        if (prepare is var (runnerType, assemblyPath))
        {
            // A failure here is the first test's to report, when its run meets it again.
            try { RunnerOf(runnerType, runners).Prepare(assemblyPath); }
            catch (Exception) { runners.Clear(); }
        }
        var jobStart = Path.Combine(Path.GetDirectoryName(socketPath)!, SharedChildFiles.JobStart);
        while (NextMessage(stream) is { } message)
        {
            if (message is not { Kind: SharedChildMessage.Run, Tests: { } tests }) break;
            if (tests.Count == 0) continue;
            var jobs = new SharedChildJobs(tests, stream, jobStart);
            if (!RunInOrder(tests, jobs, runners))
            {
                for (var i = 0; i < tests.Count && !jobs.Stopped; i++)
                {
                    jobs.SetEnvironment(i);
                    var index = i;
                    // On the test's thread, just before the test (the runner announces it).
                    ChildTestStart.Arm(() => jobs.Starting(index));
                    var report = RunOne(tests[i].Request, runners);
                    ChildTestStart.Announce();
                    jobs.Finished(i, report);
                }
            }
            // The parent runs the tests left in another child.
            if (jobs.Stopped) return 0;
        }
        return 0;
    }

    /// <summary>
    /// The parent's next message; null once it has gone. A reset or a frame cut short is the parent going too (a test
    /// host on its way out kills the child started ahead for a class that never came): the child ends as quietly as
    /// after a plain close, not with an unhandled exception that the run's output would show.
    /// </summary>
    private static SharedChildMessage? NextMessage(Stream stream)
    {
        try
        {
            return ProtocolCodec.ReadFrame(stream);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The batch in one run of its framework, when the framework can; false when it ran none of it.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    private static bool RunInOrder(IReadOnlyList<SharedChildTest> tests, SharedChildJobs jobs, Dictionary<string, IChildTestRunner> runners)
    {
        var requests = tests.Select(t => t.Request).ToArray();
        if (requests.Any(r => r.RunnerType != requests[0].RunnerType || r.AssemblyPath != requests[0].AssemblyPath)) return false;
        // What the framework sets up before the first test starts sees that test's environment, as in a run of one.
        jobs.SetEnvironment(0);
        bool ran;
        try
        {
            ran = RunnerOf(requests[0].RunnerType, runners).TryRunInOrderAsync(requests, jobs).GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            // Before any test started, each runs on its own and meets the error there; after, the rest report it.
            if (!jobs.AnyStarted) return false;
            jobs.FinishRest(e.ToString());
            return true;
        }
        if (ran) jobs.FinishRest("the framework's run of the batch ended before this test");
        return ran;
    }
}
