using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sandlock.Supervision.Determinism;

/// <summary>
/// An endless byte stream determined by a seed and a purpose: SHA-256 over (seed, purpose, block counter). The same
/// seed gives the same bytes on every run; different seeds or purposes give unrelated ones.
/// </summary>
internal sealed class SeededBytes(ulong seed, string purpose)
{
    private byte[] _prefix = Prefix(seed, purpose);
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
                    var input = new byte[_prefix.Length + 8];
                    _prefix.CopyTo(input, 0);
                    BinaryPrimitives.WriteUInt64LittleEndian(input.AsSpan(_prefix.Length), _block++);
                    _current = SHA256.HashData(input);
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
            _prefix = Prefix(newSeed, purpose);
            _block = 0;
            _current = [];
            _used = 0;
        }
    }

    private static byte[] Prefix(ulong seed, string purpose) => [.. BitConverter.GetBytes(seed), .. System.Text.Encoding.UTF8.GetBytes(purpose)];

    public byte[] Take(int count)
    {
        var bytes = new byte[count];
        Fill(bytes);
        return bytes;
    }
}
