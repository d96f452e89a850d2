using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Sharing;

/// <summary>
/// One confined child host that runs the tests of a group (same policy) one after the other. Its session folder
/// (writable by the child) holds the socket to the parent and, while a test runs, that test's temp folder; a test's
/// folder is deleted when it ends, before the next test starts, so no later test reads what an earlier one left.
/// A test that times out kills the child, which is then <see cref="Broken"/>: the pool starts a new one.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SharedChild : IAsyncDisposable
{
    private const string SocketName = "parent.sock";

    private readonly Sandbox _sandbox;
    private readonly ChildTempFolder _session;
    private readonly Socket _listener;
    private readonly Task<SandboxResult> _exit;
    private Socket? _connection;
    private StreamReader? _reader;
    private StreamWriter? _writer;
    private int _tests;
    private Task<ChildTempFolder?> _nextTemp = Task.FromResult<ChildTempFolder?>(null);
    private readonly long _started = Stopwatch.GetTimestamp();

    private SharedChild(Sandbox sandbox, ChildTempFolder session, Socket listener, SandboxPolicy policy, string? policyFile)
    {
        _sandbox = sandbox;
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
            listener.Bind(new UnixDomainSocketEndPoint(Path.Combine(session.HostPath, SocketName)));
            listener.Listen(1);
            var command = ChildCommand.For(testAssemblyPath, [Child.ChildProcessEntry.SharedFlag, Path.Combine(session.ChildPath, SocketName), runnerType, testAssemblyPath]);
            var sandbox = new Sandbox(Child.ChildRuntimeSettings.For(Child.ChildThreadPool.For(policy)), command, StdioMode.Capture);
            sandbox.Start();
            return new SharedChild(sandbox, session, listener, policy, policyFile);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs one test, with a temp folder of its own inside the session folder. A timeout, a crash or
    /// a broken protocol is a failed result that says so, and leaves the child <see cref="Broken"/>.
    /// </summary>
    public async Task<IReadOnlyList<ChildTestResult>> RunAsync(SandboxedTestLaunch launch, ChildTestRequest request, ulong seed, TimeSpan? timeout,
        IReadOnlyList<string> acceptedDenials, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var temp = await _nextTemp.ConfigureAwait(false) ?? MakeTemp();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t) limit.CancelAfter(t);
        var deniedBefore = 0;
        try
        {
            await ConnectAsync(limit.Token).ConfigureAwait(false);
            // While the child sets the test up, the supervisor makes what the test's seed serves.
            _sandbox.PrepareJob(seed);
            await SendAsync(new SharedChildMessage(SharedChildMessage.Run) { Request = request, TempDirectory = temp.ChildPath, Seed = seed }, limit.Token).ConfigureAwait(false);
            if (await ReceiveAsync(limit.Token).ConfigureAwait(false) is not { Kind: SharedChildMessage.Starting })
                return await EndedAsync(launch, timeout, clock, deniedBefore, "did not start the test").ConfigureAwait(false);
            // Quiet here: the child waits for go. The test draws from its own seed and its clock starts at TimeStart.
            _sandbox.RestartJob(seed);
            deniedBefore = _sandbox.DeniedSoFar.Count;
            await SendAsync(new SharedChildMessage(SharedChildMessage.Go), limit.Token).ConfigureAwait(false);
            if (await ReceiveAsync(limit.Token).ConfigureAwait(false) is not { Kind: SharedChildMessage.Done, Report: { } report })
                return await EndedAsync(launch, timeout, clock, deniedBefore, "did not report a result").ConfigureAwait(false);
            var denials = _sandbox.DeniedSoFar.Skip(deniedBefore).ToList();
            FirstTestAfter ??= Stopwatch.GetElapsedTime(_started);
            if (report is { HostError: null, Tests.Count: > 0 })
            {
                var own = new SandboxResult(_sandbox.Pid ?? 0, default, [], [], clock.Elapsed) { Denials = denials };
                return [.. report.Tests.Select(r => DenialNotes.Add(r, own, Policy, PolicyFile, acceptedDenials))];
            }
            var failed = new SandboxResult(_sandbox.Pid ?? 0, default, [], [], clock.Elapsed) { Denials = denials };
            return [ChildFailure.Describe(failed, report.HostError ?? "it reported no result", Policy, launch, null)];
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return await EndedAsync(launch, timeout, clock, deniedBefore, "timed out").ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or System.Text.Json.JsonException or InvalidDataException)
        {
            return await EndedAsync(launch, timeout, clock, deniedBefore, $"broke the protocol ({e.Message})").ConfigureAwait(false);
        }
        finally
        {
            // Here, before the result goes back: the next test never sees what this one left. Handed to the pool,
            // these two calls (about 0.1 ms) kept the next test waiting for a pool thread two or three times as long.
            temp.TryDelete();
            try { _nextTemp = Task.FromResult(Broken ? null : MakeTemp()); }
            // The next test reports it, as its own set-up failure.
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { _nextTemp = Task.FromException<ChildTempFolder?>(e); }
        }
    }

    private ChildTempFolder MakeTemp()
    {
        var name = $"sandlock-test-{++_tests}";
        var temp = new ChildTempFolder(Path.Combine(_session.HostPath, name), Path.Combine(_session.ChildPath, name));
        Directory.CreateDirectory(temp.HostPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return temp;
    }

    /// <summary>Waits until the last test's folder is gone (and the next one's made), so that deleting the session leaves nothing behind.</summary>
    private void WaitForTemp()
    {
        try { _nextTemp.Wait(); }
        catch (AggregateException) { /* the session folder goes as a whole */ }
    }

    /// <summary>The child cannot go on: kill it, wait for it and describe what happened to the test it ran.</summary>
    private async Task<IReadOnlyList<ChildTestResult>> EndedAsync(SandboxedTestLaunch launch, TimeSpan? timeout, Stopwatch clock, int deniedBefore, string what)
    {
        Broken = true;
        var timedOut = what == "timed out";
        if (!_exit.IsCompleted) _sandbox.Kill();
        var run = await _exit.ConfigureAwait(false);
        var own = run with
        {
            Status = run.Status with { TimedOut = timedOut },
            Elapsed = clock.Elapsed,
            Denials = [.. run.Denials.Skip(deniedBefore)],
        };
        return [ChildFailure.Describe(own, null, Policy, launch, timedOut ? timeout : null)];
    }

    private async Task ConnectAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null) return;
        // The child connects once it has started; if it ends first, the accept is abandoned.
        var accept = _listener.AcceptAsync(cancellationToken).AsTask();
        if (await Task.WhenAny(accept, _exit).ConfigureAwait(false) != accept)
            throw new IOException("the child ended before it connected");
        _connection = await accept.ConfigureAwait(false);
        var stream = new NetworkStream(_connection, ownsSocket: false);
        _reader = new StreamReader(stream, new UTF8Encoding(false));
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
    }

    private Task SendAsync(SharedChildMessage message, CancellationToken cancellationToken) =>
        _writer!.WriteLineAsync(ProtocolJson.Line(message).AsMemory(), cancellationToken);

    private async Task<SharedChildMessage?> ReceiveAsync(CancellationToken cancellationToken) =>
        await _reader!.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line ? ProtocolJson.ParseLine(line) : null;

    /// <summary>
    /// Ends the child at once, for a test host on its way out (NUnit's process exit), where waiting for the child to
    /// finish on its own could outlast the time the host is given: killed, reaped (so nothing writes any more), its
    /// folder removed.
    /// </summary>
    public void EndNow()
    {
        _connection?.Dispose();
        _listener.Dispose();
        _sandbox.Dispose();
        try { _exit.Wait(TimeSpan.FromSeconds(2)); }
        catch (AggregateException) { /* how it ended does not matter here */ }
        WaitForTemp();
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
        WaitForTemp();
        _session.TryDelete();
    }
}
