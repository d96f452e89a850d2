using Sandlock.Interop;
using Sandlock.Policy;

namespace Sandlock.Supervision.Limits;

/// <summary>
/// <c>max_memory</c> for the sandbox as a whole: the resident memory of all its processes is summed every tick,
/// and the sandbox is killed, with a denial saying why, once it exceeds the limit. Each process also gets
/// RLIMIT_DATA at the limit (so malloc fails with ENOMEM first) and .NET programs a GC heap limit below it (so they
/// get an OutOfMemoryException rather than a kill); see <see cref="ProcessLimits"/>.
/// </summary>
internal sealed class MemoryWatchdog(ByteSize limit, int root, Action<Denial> kill)
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);
    private static readonly long PageSize = Environment.SystemPageSize;

    public async Task WatchAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Tick);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var resident = ResidentBytes(root);
                if (resident <= limit.Bytes) continue;
                kill(new Denial("memory", $"{new ByteSize(resident)} resident", root, $"--max-memory {limit}: sandbox killed"));
                return;
            }
        }
        catch (OperationCanceledException) { }
    }

    private static long ResidentBytes(int root)
    {
        long total = 0;
        foreach (var pid in ProcessTree.Descendants(root).Prepend(root))
        {
            try { total += long.Parse(File.ReadAllText($"/proc/{pid}/statm").Split(' ')[1]) * PageSize; }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return total;
    }
}
