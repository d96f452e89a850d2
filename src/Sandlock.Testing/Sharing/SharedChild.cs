using System.Diagnostics;
using System.Net.Sockets;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Supervision;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Sharing;

/// <summary>
/// One confined child host that runs the tests of a group (same policy) one after the other, in batches. Its session
/// folder (writable by the child) holds the socket to the parent, the job-start file and the last test's temp
/// folder; as a test starts, the supervisor removes the folder of the test before and makes the test's own
/// (<see cref="JobStarts"/>), so no later test reads what an earlier one left, and the child stops when that fails.
/// A test that times out kills the child, which is then <see cref="Broken"/>: the tests after it run in a new one.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SharedChild : IAsyncDisposable
{
    private readonly Sandbox _sandbox;
    private readonly ChildTempFolder _session;
    private readonly Socket _listener;
    private readonly Task<SandboxResult> _exit;
    private Socket? _connection;
    private NetworkStream? _stream;
    private readonly JobStarts _jobs;
    private int _tests;
    private readonly long _started = Stopwatch.GetTimestamp();

    private SharedChild(Sandbox sandbox, JobStarts jobs, ChildTempFolder session, Socket listener, SandboxPolicy policy, string? policyFile)
    {
        _sandbox = sandbox;
        _jobs = jobs;
        _session = session;
        _listener = listener;
        Policy = policy;
        PolicyFile = policyFile;
        _exit = sandbox.WaitAsync();
    }

    public SandboxPolicy Policy { get; }
    public string? PolicyFile { get; }

    /// <summary>From the child's start to the end of its first test that ran; null until then.</summary>
    public TimeSpan? FirstTestAfter { get; private set; }

    /// <summary>The child ended or the protocol broke: it runs no further test.</summary>
    public bool Broken { get; private set; }

    /// <summary>
    /// Starts the child; the policy's temp folder is <paramref name="session"/>, which this child then owns. The child
    /// prepares <paramref name="runnerType"/> for the test assembly while it waits for its first test.
    /// </summary>
    public static SharedChild Start(SandboxPolicy policy, string? policyFile, ChildTempFolder session, string testAssemblyPath, string runnerType)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(Path.Combine(session.HostPath, SharedChildFiles.Socket)));
            listener.Listen(1);
            // Read-only and empty: the child only opens it.
            File.WriteAllBytes(Path.Combine(session.HostPath, SharedChildFiles.JobStart), []);
            File.SetUnixFileMode(Path.Combine(session.HostPath, SharedChildFiles.JobStart), UnixFileMode.UserRead);
            var command = ChildCommand.For(testAssemblyPath, [Child.ChildProcessEntry.SharedFlag, Path.Combine(session.ChildPath, SharedChildFiles.Socket), runnerType, testAssemblyPath]);
            var jobs = new JobStarts(Path.Combine(session.ChildPath, SharedChildFiles.JobStart));
            var sandbox = new Sandbox(Child.ChildRuntimeSettings.For(Child.ChildThreadPool.For(policy), testAssemblyPath), command, StdioMode.Capture)
            {
                Handlers = [jobs],
                OnStandardOutput = ChildConsoleRelay.StandardOutput,
                OnStandardError = ChildConsoleRelay.StandardError,
            };
            sandbox.Start();
            return new SharedChild(sandbox, jobs, session, listener, policy, policyFile);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="tests"/> one after the other (the child does not wait for the parent between them),
    /// calling <paramref name="onResult"/> with each one's index and results as it ends. A test's timeout counts from
    /// the end of the one before (or from the call); a timeout, a crash or a broken protocol is a failed result for
    /// the test that was running, which leaves the child <see cref="Broken"/>. Returns how many of the tests ended;
    /// the rest never started here and are another child's to run.
    /// </summary>
    public async Task<int> RunAsync(IReadOnlyList<SharedTestRun> tests, Action<int, IReadOnlyList<ChildTestResult>> onResult, CancellationToken cancellationToken)
    {
        if (tests.Count == 0 || Broken) return 0;
        var firstJob = _jobs.Started;
        var ownDenied = _sandbox.OwnDeniedSoFar.Count;
        var clock = Stopwatch.StartNew();
        var index = 0;
        CancellationTokenSource? limit = null;
        try
        {
            limit = LimitFor(tests[0].Timeout, cancellationToken);
            await ConnectAsync(limit.Token).ConfigureAwait(false);
            var sent = new List<SharedChildTest>(tests.Count);
            foreach (var test in tests)
            {
                var folder = SharedChildFiles.TestFolder(++_tests);
                _jobs.Queue(test.Seed, Path.Combine(_session.HostPath, folder));
                sent.Add(new SharedChildTest(test.Request, test.Seed, Path.Combine(_session.ChildPath, folder)));
            }
            await SendAsync(new SharedChildMessage(SharedChildMessage.Run) { Tests = sent }, limit.Token).ConfigureAwait(false);
            // While the child reads the batch and sets the first test up, what its seed serves is made here; each
            // test's start makes the next one's.
            _sandbox.PrepareJob(tests[0].Seed);
            for (; index < tests.Count; index++)
            {
                if (index > 0)
                {
                    limit.Dispose();
                    limit = LimitFor(tests[index].Timeout, cancellationToken);
                }
                var test = tests[index];
                if (await ReceiveAsync(limit.Token).ConfigureAwait(false) is not { Kind: SharedChildMessage.Done, Report: { } report })
                    return await EndedAsync(tests, index, firstJob, clock, ownDenied, EndedEarly, onResult).ConfigureAwait(false);
                var denials = DeniedBy(firstJob + index, ref ownDenied);
                FirstTestAfter ??= Stopwatch.GetElapsedTime(_started);
                var own = new SandboxResult(_sandbox.Pid ?? 0, default, [], [], clock.Elapsed) { Denials = denials };
                onResult(index, report is { HostError: null, Tests.Count: > 0 }
                    ? [.. report.Tests.Select(r => DenialNotes.Add(r, own, Policy, PolicyFile, test.AcceptedDenials))]
                    : [ChildFailure.Describe(own, report.HostError ?? "it reported no result", Policy, test.Launch, null)]);
                clock.Restart();
            }
            return index;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return await EndedAsync(tests, index, firstJob, clock, ownDenied, "timed out", onResult).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidDataException)
        {
            return await EndedAsync(tests, index, firstJob, clock, ownDenied, $"broke the protocol ({e.Message})", onResult).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The run is cancelled: the child is stopped with the test it runs; the caller reports the rest.
            Broken = true;
            _jobs.ClearQueue();
            if (!_exit.IsCompleted) _sandbox.Kill();
            throw;
        }
        finally
        {
            limit?.Dispose();
        }
    }

    private const string EndedEarly = "did not report a result";

    private static CancellationTokenSource LimitFor(TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t) limit.CancelAfter(t);
        return limit;
    }

    /// <summary>
    /// What was denied since job <paramref name="job"/> started, up to the next job's start: the supervisor's count is
    /// read before the starts, so a denial of a job that starts meanwhile is never counted here.
    /// </summary>
    private List<Denial> DeniedBy(int job, ref int ownSeen)
    {
        var supervisor = _sandbox.SupervisorDeniedSoFar;
        var started = _jobs.Started;
        var from = job < started ? _jobs.DenialsBefore(job) : supervisor.Count;
        var to = job + 1 < started ? _jobs.DenialsBefore(job + 1) : supervisor.Count;
        var own = _sandbox.OwnDeniedSoFar;
        List<Denial> denials = [.. supervisor.Skip(from).Take(to - from), .. own.Skip(ownSeen)];
        ownSeen = own.Count;
        return denials;
    }

    /// <summary>
    /// The child cannot go on: kill it and wait for it. The test it held gets a failed result that says what happened,
    /// unless the child ended on its own before starting it (it stops when a test's folder cannot be removed); that
    /// test is then left, with those after it, to another child.
    /// </summary>
    private async Task<int> EndedAsync(IReadOnlyList<SharedTestRun> tests, int index, int firstJob, Stopwatch clock, int ownDenied, string what,
        Action<int, IReadOnlyList<ChildTestResult>> onResult)
    {
        Broken = true;
        _jobs.ClearQueue();
        var timedOut = what == "timed out";
        // A child that closed the connection may be exiting on its own; give it the time to, so its status says which.
        if (what == EndedEarly && !_exit.IsCompleted) await Task.WhenAny(_exit, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        if (!_exit.IsCompleted) _sandbox.Kill();
        var run = await _exit.ConfigureAwait(false);
        if (!timedOut && run.Status.Code == 0 && _jobs.Started <= firstJob + index) return index;
        var test = tests[index];
        var own = run with
        {
            Status = run.Status with { TimedOut = timedOut },
            Elapsed = clock.Elapsed,
            Denials = DeniedBy(firstJob + index, ref ownDenied),
        };
        onResult(index, [ChildFailure.Describe(own, null, Policy, test.Launch, timedOut ? test.Timeout : null)]);
        return index + 1;
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null) return;
        // The child connects once it has started; if it ends first, the accept is abandoned.
        var accept = _listener.AcceptAsync(cancellationToken).AsTask();
        if (await Task.WhenAny(accept, _exit).ConfigureAwait(false) != accept)
            throw new IOException("the child ended before it connected");
        _connection = await accept.ConfigureAwait(false);
        _stream = new NetworkStream(_connection, ownsSocket: false);
    }

    private Task SendAsync(SharedChildMessage message, CancellationToken cancellationToken) =>
        _stream!.WriteAsync(ProtocolCodec.Frame(message), cancellationToken).AsTask();

    private Task<SharedChildMessage?> ReceiveAsync(CancellationToken cancellationToken) => ProtocolCodec.ReadFrameAsync(_stream!, cancellationToken);

    /// <summary>
    /// Kills the child at once, for a test host on its way out (NUnit's process exit), where waiting for the child to
    /// finish on its own could outlast the time the host is given; <see cref="FinishEnding"/> then reaps it and removes
    /// its folder. Apart, so that a host with several children kills them all before it waits for any.
    /// </summary>
    public void Kill()
    {
        _connection?.Dispose();
        _listener.Dispose();
        _sandbox.Dispose();
    }

    /// <summary>After <see cref="Kill"/>: waits until <paramref name="deadline"/> for the child to be reaped (so nothing writes any more), then removes its folder.</summary>
    public void FinishEnding(DateTime deadline)
    {
        try { _exit.Wait(deadline - DateTime.UtcNow is { Ticks: > 0 } left ? left : TimeSpan.Zero); }
        catch (AggregateException) { /* how it ended does not matter here */ }
        _session.TryDelete();
    }

    public async ValueTask DisposeAsync()
    {
        // Closing the socket ends the child's loop; what is left of it is killed with the sandbox.
        _connection?.Dispose();
        _listener.Dispose();
        if (!_exit.IsCompleted)
        {
            await Task.WhenAny(_exit, Task.Delay(TimeSpan.FromSeconds(2))).ConfigureAwait(false);
        }
        await _sandbox.DisposeAsync().ConfigureAwait(false);
        _session.TryDelete();
    }
}
