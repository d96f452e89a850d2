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
                    // Whole chunks for a large fill, so a big request takes one cipher call.
                    var blocks = Math.Max(ChunkBlocks, (destination.Length + 15) / 16);
                    var counters = new byte[blocks * 16];
                    for (var i = 0; i < blocks; i++) BinaryPrimitives.WriteUInt64LittleEndian(counters.AsSpan(i * 16), _block++);
                    using var aes = Aes.Create();
                    aes.Key = _key;
                    _current = aes.EncryptEcb(counters, PaddingMode.None);
                    _used = 0;
                }
                var take = Math.Min(destination.Length, _current.Length - _used);
                _current.AsSpan(_used, take).CopyTo(destination);
                _used += take;
                destination = destination[take..];
            }
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
