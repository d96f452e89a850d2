using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Sandlock.Interop;

namespace Sandlock.Supervision.Http;

/// <summary>
/// Forwards message bodies from one plain socket to another: what the head's read left buffered is written from
/// here, the rest is spliced between the sockets without entering this process. Chunked bodies are parsed (the
/// size lines, here) and framed anew, their chunk data spliced.
/// </summary>
internal sealed class BodyRelay(MessageInput input, Socket from, Socket to, StopSignal stop) : IDisposable
{
    /// <summary>The length of a chunked body.</summary>
    public const long Chunked = -1;
    /// <summary>The length of a body that ends when its sender closes the connection.</summary>
    public const long UntilClose = long.MaxValue;

    private const int MaxChunkLine = 4096;
    // Below this a splice costs more than it saves: it needs a thread of its own to wait on.
    private const long SpliceFrom = 64 * 1024;
    private static readonly byte[] LastChunk = "0\r\n\r\n"u8.ToArray(), ChunkEnd = "\r\n"u8.ToArray();

    private SocketSplice? _splice;

    /// <summary>
    /// Forwards one body of <paramref name="length"/> (a byte count, <see cref="Chunked"/> or <see cref="UntilClose"/>).
    /// A chunked body is sent chunked again, or with <paramref name="unchunk"/> as its bare data (for an HTTP/1.0
    /// reader, which then needs the connection closed). Throws <see cref="IOException"/> when the sender stops early.
    /// </summary>
    public async Task ForwardAsync(long length, bool unchunk, CancellationToken cancel)
    {
        if (length == Chunked) await ForwardChunksAsync(unchunk, cancel).ConfigureAwait(false);
        else if (length > 0) await ForwardBytesAsync(length, cancel).ConfigureAwait(false);
    }

    private async Task ForwardChunksAsync(bool unchunk, CancellationToken cancel)
    {
        while (true)
        {
            var line = await input.ReadLineAsync(MaxChunkLine, cancel).ConfigureAwait(false) ?? throw new IOException("the connection ended inside a chunked body");
            var size = ChunkSize(line);
            if (size == 0)
            {
                // Trailers are dropped: nothing the proxy forwards declared them.
                while (await input.ReadLineAsync(MaxChunkLine, cancel).ConfigureAwait(false) is { Length: > 0 }) { }
                if (!unchunk) await SendAllAsync(to, LastChunk, cancel).ConfigureAwait(false);
                return;
            }
            if (!unchunk) await SendAllAsync(to, Encoding.ASCII.GetBytes($"{size:x}\r\n"), cancel).ConfigureAwait(false);
            await ForwardBytesAsync(size, cancel).ConfigureAwait(false);
            if (await input.ReadLineAsync(MaxChunkLine, cancel).ConfigureAwait(false) is not "")
                throw new InvalidDataException("a chunk's data does not end with CRLF");
            if (!unchunk) await SendAllAsync(to, ChunkEnd, cancel).ConfigureAwait(false);
        }
    }

    /// <summary>The size of a chunk-size line (extensions ignored); throws when it is not one.</summary>
    public static long ChunkSize(string line)
    {
        var size = line.Split(';', 2)[0].Trim();
        if (size.Length is 0 or > 15 || !long.TryParse(size, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var chunk))
            throw new InvalidDataException($"invalid chunk size '{HeaderFields.Shorten(size)}'");
        return chunk;
    }

    private async Task ForwardBytesAsync(long count, CancellationToken cancel)
    {
        var buffered = input.TakeBuffered(count);
        if (!buffered.IsEmpty) await SendAllAsync(to, buffered, cancel).ConfigureAwait(false);
        var left = count == UntilClose ? UntilClose : count - buffered.Length;
        if (left == 0) return;
        if (left < SpliceFrom)
        {
            var buffer = new byte[left];
            for (var read = 0; read < left;)
            {
                var n = await input.ReadAsync(buffer.AsMemory(read), cancel).ConfigureAwait(false);
                if (n == 0) throw new IOException("the connection ended inside a body");
                read += n;
            }
            await SendAllAsync(to, buffer, cancel).ConfigureAwait(false);
            return;
        }
        _splice ??= new SocketSplice();
        var splice = _splice;
        var moved = await Task.Factory.StartNew(() => splice.Move(from.SafeHandle, to.SafeHandle, left, stop),
            cancel, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        if (left != UntilClose && moved < left) throw new IOException("the connection ended inside a body");
    }

    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancel)
    {
        while (!data.IsEmpty) data = data[await socket.SendAsync(data, SocketFlags.None, cancel).ConfigureAwait(false)..];
    }

    public void Dispose() => _splice?.Dispose();
}
