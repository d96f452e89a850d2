using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Sandlock.Interop;

namespace Sandlock.Supervision.Http;

/// <summary>
/// Forwards message bodies read through a <see cref="MessageInput"/>. Between two plain sockets, what the head's
/// read left buffered is written from here and the rest is moved between the sockets by <see cref="SocketCopy"/>,
/// on a thread of its own; to a stream (TLS) it is copied through a managed buffer. Chunked bodies are parsed (the
/// size lines, here) and framed anew, their chunk data moved or copied.
/// </summary>
internal sealed class BodyRelay : IDisposable
{
    /// <summary>The length of a chunked body.</summary>
    public const long Chunked = -1;
    /// <summary>The length of a body that ends when its sender closes the connection.</summary>
    public const long UntilClose = long.MaxValue;

    private const int MaxChunkLine = 4096;
    // Below this a socket copy costs more than it saves: it needs a thread of its own to wait on.
    private const long SocketCopyFrom = 64 * 1024;
    private static readonly byte[] LastChunk = "0\r\n\r\n"u8.ToArray(), ChunkEnd = "\r\n"u8.ToArray();

    private readonly MessageInput _input;
    private readonly Stream _output;
    private readonly (Socket From, Socket To, StopSignal Stop)? _sockets;
    private SocketCopy? _socketCopy;

    /// <summary>Between two plain sockets: the bulk of a body is moved socket to socket.</summary>
    public BodyRelay(MessageInput input, Socket from, Socket to, StopSignal stop)
    {
        _input = input;
        _output = new NetworkStream(to, ownsSocket: false);
        _sockets = (from, to, stop);
    }

    /// <summary>To a stream: a body is copied through a buffer.</summary>
    public BodyRelay(MessageInput input, Stream output)
    {
        _input = input;
        _output = output;
    }

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
            var line = await _input.ReadLineAsync(MaxChunkLine, cancel).ConfigureAwait(false) ?? throw new IOException("the connection ended inside a chunked body");
            var size = ChunkSize(line);
            if (size == 0)
            {
                // Trailers are dropped: nothing the proxy forwards declared them.
                while (await _input.ReadLineAsync(MaxChunkLine, cancel).ConfigureAwait(false) is { Length: > 0 }) { }
                if (!unchunk) await _output.WriteAsync(LastChunk, cancel).ConfigureAwait(false);
                return;
            }
            if (!unchunk) await _output.WriteAsync(Encoding.ASCII.GetBytes($"{size:x}\r\n"), cancel).ConfigureAwait(false);
            await ForwardBytesAsync(size, cancel).ConfigureAwait(false);
            if (await _input.ReadLineAsync(MaxChunkLine, cancel).ConfigureAwait(false) is not "")
                throw new InvalidDataException("a chunk's data does not end with CRLF");
            if (!unchunk) await _output.WriteAsync(ChunkEnd, cancel).ConfigureAwait(false);
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
        var buffered = _input.TakeBuffered(count);
        if (!buffered.IsEmpty) await _output.WriteAsync(buffered, cancel).ConfigureAwait(false);
        var left = count == UntilClose ? UntilClose : count - buffered.Length;
        if (left == 0) return;
        if (_sockets is not { } sockets || left < SocketCopyFrom)
        {
            await CopyAsync(left, cancel).ConfigureAwait(false);
            return;
        }
        _socketCopy ??= new SocketCopy();
        var socketCopy = _socketCopy;
        var moved = await Task.Factory.StartNew(() => socketCopy.Move(sockets.From.SafeHandle, sockets.To.SafeHandle, left, sockets.Stop),
            cancel, TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
        if (left != UntilClose && moved < left) throw new IOException("the connection ended inside a body");
    }

    private async Task CopyAsync(long left, CancellationToken cancel)
    {
        var buffer = new byte[(int)Math.Min(left, 64 * 1024)];
        while (left > 0)
        {
            var read = await _input.ReadAsync(buffer.AsMemory(0, (int)Math.Min(left, buffer.Length)), cancel).ConfigureAwait(false);
            if (read == 0)
            {
                if (left == UntilClose) return;
                throw new IOException("the connection ended inside a body");
            }
            await _output.WriteAsync(buffer.AsMemory(0, read), cancel).ConfigureAwait(false);
            if (left != UntilClose) left -= read;
        }
    }

    public static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancel)
    {
        while (!data.IsEmpty) data = data[await socket.SendAsync(data, SocketFlags.None, cancel).ConfigureAwait(false)..];
    }

    public void Dispose() => _socketCopy?.Dispose();
}
