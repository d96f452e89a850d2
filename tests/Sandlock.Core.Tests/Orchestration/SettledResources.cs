using Sandlock.Tests.Lifecycle;

namespace Sandlock.Tests.Orchestration;

/// <summary>
/// What the test process holds once the runs it made have let go: results complete as processes end, and what the
/// watcher and the thread pool still hold is released a moment later. Waits for the counts to come back, with a
/// hang guard; per-run leaks show as one or more per run, far above the slack.
/// </summary>
internal static class SettledResources
{
    public const int FdSlack = 2;

    public static async Task<ProcessResources> After(ProcessResources warm)
    {
        var guard = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var now = ProcessResources.Now();
            if ((now.Fds <= warm.Fds + FdSlack && now.Memfds <= warm.Memfds) || guard.Elapsed > TimeSpan.FromSeconds(60)) return now;
            await Task.Delay(50);
        }
    }
}
