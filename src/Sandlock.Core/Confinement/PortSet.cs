using System.Collections.Immutable;
using System.Numerics;

namespace Sandlock.Confinement;

/// <summary>
/// A set of TCP ports, read out in order. A bit per port and plain loops: LINQ or a HashSet over ushort, or an
/// ImmutableArray&lt;ushort&gt; used as an IEnumerable, is JIT-compiled in every process that plans a sandbox (framework
/// generics over a value type are not in ReadyToRun images), ~30 methods in a build's first routed step.
/// </summary>
internal sealed class PortSet
{
    private readonly ulong[] _bits = new ulong[(ushort.MaxValue + 1) / 64];

    public void Add(ImmutableArray<ushort> ports)
    {
        for (var i = 0; i < ports.Length; i++) _bits[ports[i] >> 6] |= 1UL << (ports[i] & 63);
    }

    public void Remove(ImmutableArray<ushort> ports)
    {
        for (var i = 0; i < ports.Length; i++) _bits[ports[i] >> 6] &= ~(1UL << (ports[i] & 63));
    }

    public ushort[] ToSortedArray()
    {
        var count = 0;
        foreach (var word in _bits) count += BitOperations.PopCount(word);
        var ports = new ushort[count];
        var next = 0;
        for (var w = 0; w < _bits.Length; w++)
        {
            for (var word = _bits[w]; word != 0; word &= word - 1)
                ports[next++] = (ushort)((w << 6) + BitOperations.TrailingZeroCount(word));
        }
        return ports;
    }
}
