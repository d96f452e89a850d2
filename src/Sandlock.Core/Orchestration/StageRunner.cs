namespace Sandlock.Orchestration;

/// <summary>Starts connected stages, lets them run, and answers with the last one's result.</summary>
internal static class StageRunner
{
    /// <summary>
    /// Starts the stages in order, closes the parent's pipe ends, and waits. The last launch is the result (with every
    /// stage's stderr and denials); when it
    /// ends, the others still running are killed. A stage that cannot start kills the ones started before it. One
    /// timer covers the whole: per-stage timers would let a killed producer's EOF end the last stage "successfully".
    /// </summary>
    public static async Task<SandboxResult> RunAsync(IReadOnlyList<StageLaunch> launches, PipeSet pipes, TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var sandboxes = new List<Sandbox>(launches.Count);
        var timedOut = false;
        Task<SandboxResult>? lastWait = null;
        using var timer = new CancellationTokenSource();
        try
        {
            foreach (var launch in launches)
            {
                var sandbox = new Sandbox(launch.Stage.Policy, launch.Stage.Command, StdioMode.Capture) { Streams = launch.Streams };
                sandboxes.Add(sandbox);
                sandbox.Start();
            }
            pipes.Dispose();

            var waits = sandboxes.Select(s => s.WaitAsync(cancellationToken)).ToList();
            lastWait = waits[^1];
            using var expiry = timer.Token.Register(() =>
            {
                if (lastWait.IsCompleted) return;
                timedOut = true;
                foreach (var sandbox in sandboxes) sandbox.Dispose();
            });
            if (timeout is { } whole) timer.CancelAfter(whole);
            var last = await lastWait.ConfigureAwait(false);
            foreach (var other in sandboxes.Take(sandboxes.Count - 1)) other.Dispose();
            var results = await Task.WhenAll(waits).ConfigureAwait(false);
            expiry.Dispose();
            var status = timedOut ? last.Status with { TimedOut = true } : last.Status;
            // As on a terminal, every stage's stderr; in stage order rather than interleaved.
            return last with
            {
                Status = status,
                StandardError = [.. results.SelectMany(r => r.StandardError)],
                Denials = [.. results.SelectMany(r => r.Denials)],
            };
        }
        finally
        {
            pipes.Dispose();
            foreach (var sandbox in sandboxes) await sandbox.DisposeAsync().ConfigureAwait(false);
        }
    }
}
