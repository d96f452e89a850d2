namespace Sandlock.Supervision.Http;

/// <summary>
/// A request's body as the upstream request's content: exactly Content-Length bytes, or the chunked body decoded
/// (the upstream request is framed anew). <see cref="Complete"/> says whether the whole body was read, so the
/// connection can carry another request.
/// </summary>
internal sealed class RequestBody(MessageInput input, long length) : Stream
{
    private const int MaxChunkLine = 4096;
    private long _remaining = length;   // bytes left in the body (or the current chunk when chunked)
    private readonly bool _chunked = length < 0;
    private bool _ended = length == 0;

    public bool Complete => _ended;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_ended || buffer.Length == 0) return 0;
        if (_chunked && _remaining <= 0 && !await NextChunkAsync(cancellationToken).ConfigureAwait(false)) return 0;
        var read = await input.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _remaining)], cancellationToken).ConfigureAwait(false);
        if (read == 0) throw new IOException("the client closed the connection inside a request body");
        _remaining -= read;
        if (!_chunked && _remaining == 0) _ended = true;
        return read;
    }

    private async ValueTask<bool> NextChunkAsync(CancellationToken cancel)
    {
        // After a chunk's data comes its CRLF; the first chunk has none before it.
        if (_remaining == 0 && await input.ReadLineAsync(MaxChunkLine, cancel).ConfigureAwait(false) is not "")
            throw new InvalidDataException("a chunk's data does not end with CRLF");
        var line = await input.ReadLineAsync(MaxChunkLine, cancel).ConfigureAwait(false) ?? throw new IOException("the client closed the connection inside a chunked body");
        var chunk = BodyRelay.ChunkSize(line);
        if (chunk > 0) { _remaining = chunk; return true; }
        // The last chunk: trailers (dropped) up to an empty line.
        while (await input.ReadLineAsync(MaxChunkLine, cancel).ConfigureAwait(false) is { Length: > 0 }) { }
        _ended = true;
        return false;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
