using System.Text;

namespace Sandlock.Supervision.Http;

/// <summary>
/// The bytes one side of a proxied connection sends (the sandboxed client's requests, the server's responses),
/// buffered: heads are read line by line, and what follows a head (its body, the next message) is read from the
/// same buffer, or taken from it before the rest is moved from the socket.
/// </summary>
internal sealed class MessageInput(Stream stream)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;

    public Stream Stream => stream;

    /// <summary>One line without its CRLF (or LF), or null at the end of the stream; throws past <paramref name="limit"/> bytes.</summary>
    public async ValueTask<string?> ReadLineAsync(int limit, CancellationToken cancel)
    {
        var line = new List<byte>();
        while (true)
        {
            if (_start == _end && !await FillAsync(cancel).ConfigureAwait(false))
                return line.Count == 0 ? null : throw new InvalidDataException("the connection ended inside a message head");
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            var take = (newline < 0 ? _end : newline) - _start;
            if (line.Count + take > limit) throw new InvalidDataException($"a head line is longer than {limit} bytes");
            line.AddRange(_buffer.AsSpan(_start, take));
            if (newline < 0) { _start = _end; continue; }
            _start = newline + 1;
            if (line.Count > 0 && line[^1] == '\r') line.RemoveAt(line.Count - 1);
            return Encoding.Latin1.GetString([.. line]);
        }
    }

    /// <summary>How many bytes are buffered, read from the stream but not yet by the caller.</summary>
    public int Buffered => _end - _start;

    /// <summary>Takes up to <paramref name="limit"/> buffered bytes (none when the buffer is empty); valid until the next read.</summary>
    public ReadOnlyMemory<byte> TakeBuffered(long limit)
    {
        var count = (int)Math.Min(limit, _end - _start);
        var taken = _buffer.AsMemory(_start, count);
        _start += count;
        return taken;
    }

    /// <summary>Reads what is buffered first, then from the stream; 0 at its end.</summary>
    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancel)
    {
        if (_start == _end)
        {
            // Large reads skip the buffer.
            if (destination.Length >= _buffer.Length) return await stream.ReadAsync(destination, cancel).ConfigureAwait(false);
            if (!await FillAsync(cancel).ConfigureAwait(false)) return 0;
        }
        var count = Math.Min(destination.Length, _end - _start);
        _buffer.AsMemory(_start, count).CopyTo(destination);
        _start += count;
        return count;
    }

    private async ValueTask<bool> FillAsync(CancellationToken cancel)
    {
        _start = 0;
        _end = await stream.ReadAsync(_buffer, cancel).ConfigureAwait(false);
        return _end > 0;
    }
}
