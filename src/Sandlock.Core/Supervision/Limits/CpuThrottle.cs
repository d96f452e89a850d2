using Sandlock.Interop;

namespace Sandlock.Supervision.Limits;

/// <summary>
/// <c>--cpu PCT</c>: the sandbox's process group runs PCT ms of every 100 ms and is stopped (SIGSTOP) for the
/// rest, so it gets at most PCT% of the time on each CPU it uses. A pause asked for by the caller is respected: the
/// throttle never continues a group the caller stopped.
/// </summary>
internal sealed class CpuThrottle(int percent, int processGroup, Func<bool> pausedByCaller)
{
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    public async Task ThrottleAsync(CancellationToken stop)
    {
        var running = Period * percent / 100;
        var stopped = Period - running;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(running, stop).ConfigureAwait(false);
                Libc.KillGroup(processGroup, Libc.SIGSTOP);
                await Task.Delay(stopped, stop).ConfigureAwait(false);
                if (!pausedByCaller()) Libc.KillGroup(processGroup, Libc.SIGCONT);
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            if (!pausedByCaller()) Libc.KillGroup(processGroup, Libc.SIGCONT);
        }
    }
}
