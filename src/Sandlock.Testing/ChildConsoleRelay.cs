using System.Threading.Channels;

namespace Sandlock.Testing;

/// <summary>
/// What a sandboxed test writes to its stdout and stderr, passed on to this test host's own as it arrives: where a
/// plain test's console output goes (xunit does not capture it; the test platform shows it with the run's output).
/// The chunks arrive on the thread that watches the children, which must not wait on a full pipe of the test
/// platform's: a writer of its own writes them, in order.
/// </summary>
internal static class ChildConsoleRelay
{
    private static readonly Channel<(bool ToError, byte[] Bytes)> Chunks =
        Channel.CreateUnbounded<(bool, byte[])>(new UnboundedChannelOptions { SingleReader = true });

    private static readonly Lazy<Task> Writer = new(StartWriter);

    private static Task StartWriter()
    {
        // The test platform may end the host right after the last result: what is still queued is written first.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Chunks.Writer.TryComplete();
            try { Writer.Value.Wait(TimeSpan.FromSeconds(2)); }
            catch (AggregateException) { /* the host's output was already gone */ }
        };
        return Task.Run(WriteAsync);
    }

    public static void StandardOutput(ReadOnlySpan<byte> chunk) => Pass(toError: false, chunk);

    public static void StandardError(ReadOnlySpan<byte> chunk) => Pass(toError: true, chunk);

    private static void Pass(bool toError, ReadOnlySpan<byte> chunk)
    {
        if (chunk.IsEmpty) return;
        Chunks.Writer.TryWrite((toError, chunk.ToArray()));
        _ = Writer.Value;
    }

    private static async Task WriteAsync()
    {
        using var output = Console.OpenStandardOutput();
        using var error = Console.OpenStandardError();
        await foreach (var (toError, bytes) in Chunks.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            var stream = toError ? error : output;
            // The test host's own output gone (its reader ended): the result still holds what the test wrote.
            try
            {
                await stream.WriteAsync(bytes).ConfigureAwait(false);
                await stream.FlushAsync().ConfigureAwait(false);
            }
            catch (IOException) { }
        }
    }
}
