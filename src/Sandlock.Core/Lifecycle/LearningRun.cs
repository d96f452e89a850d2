using Sandlock.Policy.Learning;
using Sandlock.Supervision.Learning;

namespace Sandlock.Lifecycle;

/// <summary>
/// One observed run of <c>sandlock learn</c>: the command runs in a sandbox confined only as its policy asks
/// (<see cref="RunObservation.Observing"/>), while observers record what it uses; the result comes with the record.
/// </summary>
internal sealed class LearningRun : IAsyncDisposable
{
    private readonly RunObservation _observation = new();
    private readonly CancellationTokenSource _stopSampling = new();
    private Task _sampling = Task.CompletedTask;

    public LearningRun(SandboxPolicy policy, IReadOnlyList<string> command, StdioMode stdio = StdioMode.Capture, TimeSpan? timeout = null)
        : this(policy, new ExecRequest(command) { Stdio = stdio, Timeout = timeout })
    {
    }

    /// <summary>A run as a session's exec would be started (a build step): its output handlers see the output as it comes.</summary>
    public LearningRun(SandboxPolicy policy, ExecRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var observed = RunObservation.Observing(policy);
        Sandbox = new Sandbox(observed, request.Command, request.Stdio)
        {
            Timeout = request.Timeout,
            OnStandardOutput = request.OnStandardOutput,
            OnStandardError = request.OnStandardError,
            OnPortMapped = request.OnPortMapped,
            Handlers = _observation.HandlersFor(observed),
        };
    }

    /// <summary>The sandbox the command runs in (to pass signals on, to read its id).</summary>
    public Sandbox Sandbox { get; }

    /// <summary>Runs a command to completion with its output captured, and returns what it used.</summary>
    public static async Task<(SandboxResult Result, ObservedRun Run)> RunAsync(SandboxPolicy policy, IReadOnlyList<string> command,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        await using var run = new LearningRun(policy, command, StdioMode.Capture, timeout);
        run.Start();
        return await run.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts the command (see <see cref="Sandbox.Start"/>) and the sampling of its peaks.</summary>
    public void Start()
    {
        Sandbox.Start();
        _sampling = UsageSampler.SampleAsync(Sandbox.Pid!.Value, _observation.Recorder, _stopSampling.Token);
    }

    public async Task<(SandboxResult Result, ObservedRun Run)> WaitAsync(CancellationToken cancellationToken = default)
    {
        var result = await Sandbox.WaitAsync(cancellationToken).ConfigureAwait(false);
        await StopSamplingAsync().ConfigureAwait(false);
        return (result, _observation.Recorder.ToRun(Sandbox.Command));
    }

    private async Task StopSamplingAsync()
    {
        await _stopSampling.CancelAsync().ConfigureAwait(false);
        await _sampling.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopSamplingAsync().ConfigureAwait(false);
        await Sandbox.DisposeAsync().ConfigureAwait(false);
        _stopSampling.Dispose();
    }
}
