namespace Sandlock.Supervision.Learning;

/// <summary>
/// Samples a running sandbox's tasks and memory every few milliseconds until stopped: the peaks between held calls
/// (a long-running process that never ends, threads made by a clone the filter does not hold).
/// </summary>
internal static class UsageSampler
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);

    public static async Task SampleAsync(int root, RunRecorder recorder, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Tick);
        try
        {
            do
            {
                recorder.Tasks(SandboxUsage.Tasks(root));
                recorder.Resident(SandboxUsage.Resident(root));
                foreach (var pid in SandboxUsage.Processes(root))
                    if (SandboxUsage.OfProcess(pid) is { } memory) recorder.ProcessData(memory.Data);
            }
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false));
        }
        catch (OperationCanceledException) { }
    }
}
