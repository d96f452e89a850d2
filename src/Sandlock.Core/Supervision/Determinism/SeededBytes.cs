using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sandlock.Supervision.Determinism;

/// <summary>
/// An endless byte stream determined by a seed and a purpose: AES-256 in counter mode, keyed by SHA-256 of (seed,
/// purpose). The same seed gives the same bytes on every run; different seeds or purposes give unrelated ones. A
/// block cipher over counters makes the 256 KiB of a seeded /dev/urandom in a fraction of a millisecond (a hash per
/// 32 bytes took milliseconds, paid by every test of a shared child).
/// </summary>
internal sealed class SeededBytes(ulong seed, string purpose)
{
    private const int ChunkBlocks = 256;
    private byte[] _key = Key(seed, purpose);
    private readonly Lock _gate = new();
    private ulong _block;
    private byte[] _current = [];
    private int _used;

    public void Fill(Span<byte> destination)
    {
        lock (_gate)
        {
            while (!destination.IsEmpty)
            {
                if (_used == _current.Length)
                {
                    // Whole blocks wanted: encrypted straight into the destination (a seeded /dev/urandom is 256 KiB).
                    if (destination.Length >= ChunkBlocks * 16)
                    {
                        var whole = destination.Length / 16 * 16;
                        Encrypt(destination[..whole]);
                        destination = destination[whole..];
                        continue;
                    }
                    _current = new byte[ChunkBlocks * 16];
                    Encrypt(_current);
                    _used = 0;
                }
                var take = Math.Min(destination.Length, _current.Length - _used);
                _current.AsSpan(_used, take).CopyTo(destination);
                _used += take;
                destination = destination[take..];
            }
        }
    }

    /// <summary>The next blocks of the stream into <paramref name="blocks"/> (a multiple of 16 bytes long).</summary>
    private void Encrypt(Span<byte> blocks)
    {
        var counters = System.Buffers.ArrayPool<byte>.Shared.Rent(blocks.Length);
        try
        {
            var span = counters.AsSpan(0, blocks.Length);
            span.Clear();
            for (var at = 0; at < span.Length; at += 16) BinaryPrimitives.WriteUInt64LittleEndian(span[at..], _block++);
            using var aes = Aes.Create();
            aes.Key = _key;
            aes.EncryptEcb(span, blocks, PaddingMode.None);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(counters);
        }
    }

    /// <summary>Starts the stream over with another seed, as if it had been made with it.</summary>
    public void Reseed(ulong newSeed)
    {
        lock (_gate)
        {
            _key = Key(newSeed, purpose);
            _block = 0;
            _current = [];
            _used = 0;
        }
    }

    private static byte[] Key(ulong seed, string purpose) =>
        SHA256.HashData([.. BitConverter.GetBytes(seed), .. System.Text.Encoding.UTF8.GetBytes(purpose)]);

    public byte[] Take(int count)
    {
        var bytes = new byte[count];
        Fill(bytes);
        return bytes;
    }
}
