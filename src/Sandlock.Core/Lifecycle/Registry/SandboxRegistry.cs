using System.Collections.Concurrent;

namespace Sandlock.Lifecycle.Registry;

/// <summary>
/// The running sandboxes of this process, as other processes of the user see them through one
/// <see cref="OwnerEndpoint"/>. Registering is a dictionary insert on the start path; the endpoint (a socket and a
/// lock, one per process however many sandboxes run) is opened once: as the process provisions its first session, or
/// by its first sandbox after its command started.
/// </summary>
internal static class SandboxRegistry
{
    internal sealed record Entry(Sandbox Sandbox, string Id, DateTimeOffset Started, long StartTimestamp);

    private static readonly ConcurrentDictionary<string, Entry> Live = new(StringComparer.Ordinal);
    private static int _endpointRequested;

    public static IEnumerable<Entry> Entries => Live.Values;

    public static bool TryGet(string id, out Entry entry) => Live.TryGetValue(id, out entry!);

    /// <summary>Lists a started sandbox; returns its id (unique among the user's sandboxes).</summary>
    public static string Register(Sandbox sandbox)
    {
        var entry = new Entry(sandbox, NewId(), DateTimeOffset.UtcNow, System.Diagnostics.Stopwatch.GetTimestamp());
        while (!Live.TryAdd(entry.Id, entry)) entry = entry with { Id = NewId() };
        // Here, not on the pool: a process whose first pool item this would be (the CLI) pays for the pool's gate
        // and worker threads on its start path; the command is already running meanwhile.
        OpenEndpoint();
        return entry.Id;
    }

    /// <summary>
    /// Opens this process's endpoint unless it is open. A session's provisioning calls it, so its first command does
    /// not pay for the files, the socket and the event loop's thread (~1-2 ms in a fresh build node, ~20 us later).
    /// </summary>
    public static void OpenEndpoint()
    {
        if (Volatile.Read(ref _endpointRequested) == 0 && Interlocked.Exchange(ref _endpointRequested, 1) == 0)
            OwnerEndpoint.OpenAndServe();
    }

    public static void Unregister(string? id)
    {
        if (id is not null) Live.TryRemove(id, out _);
    }

    // 48 random bits: short enough to type, and a clash among one user's running sandboxes is as good as impossible.
    private static string NewId() => Random.Shared.NextInt64(1L << 48).ToString("x12", System.Globalization.CultureInfo.InvariantCulture);
}
