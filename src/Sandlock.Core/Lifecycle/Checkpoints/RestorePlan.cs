using System.Buffers.Binary;
using System.Text;

namespace Sandlock.Lifecycle.Checkpoints;

/// <summary>
/// The operations the restore stub (native/sandlock_restore.c) runs in order, encoded as its `struct plan`: a count,
/// the failing index and errno (filled by the stub), then five 64-bit words per operation, then the paths they name.
/// </summary>
internal sealed class RestorePlan
{
    private enum Op : ulong { Unmap = 1, Move = 2, Map = 3, Stop = 4, Protect = 5, Open = 6, ChangeDirectory = 7, Ignore = 8, RobustList = 9, Rseq = 10, Name = 11 }

    private const int HeaderSize = 24, OpSize = 40;

    private readonly List<(Op Kind, ulong A, ulong B, ulong C, ulong D, string? Text)> _ops = [];

    public int Count => _ops.Count;

    public void Unmap(ulong start, ulong length) => Add(Op.Unmap, start, length);
    public void Move(ulong from, ulong length, ulong to) => Add(Op.Move, from, length, to);
    public void Map(ulong start, ulong length, bool growsDown) => Add(Op.Map, start, length, growsDown ? 1UL : 0);
    /// <summary>The stub stops (int3) so that the supervisor writes the memory contents.</summary>
    public void StopForContents() => Add(Op.Stop);
    public void Protect(ulong start, ulong length, int protection) => Add(Op.Protect, start, length, (ulong)protection);
    public void Open(string path, int flags, long? offset, int fd) => Add(Op.Open, 0, (ulong)flags, unchecked((ulong)(offset ?? -1)), (ulong)fd, path);
    public void ChangeDirectory(string path) => Add(Op.ChangeDirectory, text: path);
    public void Ignore(int signal) => Add(Op.Ignore, (ulong)signal);
    public void RobustList(ulong head, ulong length) => Add(Op.RobustList, head, length);
    public void Rseq(ulong area, uint length, uint signature) => Add(Op.Rseq, area, length, signature);
    public void Name(string name) => Add(Op.Name, text: name);

    private void Add(Op kind, ulong a = 0, ulong b = 0, ulong c = 0, ulong d = 0, string? text = null) => _ops.Add((kind, a, b, c, d, text));

    /// <summary>What the stub at <paramref name="address"/> should find; null when it does not fit its capacity.</summary>
    public byte[]? Encode(ulong address, int capacity)
    {
        var texts = _ops.Where(o => o.Text is not null).Sum(o => Encoding.UTF8.GetByteCount(o.Text!) + 1);
        var size = HeaderSize + _ops.Count * OpSize + texts;
        if (size > capacity) return null;
        var bytes = new byte[size];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt64LittleEndian(span, (ulong)_ops.Count);
        BinaryPrimitives.WriteInt64LittleEndian(span[8..], -1);
        var textAt = HeaderSize + _ops.Count * OpSize;
        for (var i = 0; i < _ops.Count; i++)
        {
            var (kind, a, b, c, d, text) = _ops[i];
            if (text is not null)
            {
                a = address + (ulong)textAt;
                textAt += Encoding.UTF8.GetBytes(text, span[textAt..]) + 1;
            }
            var at = span[(HeaderSize + i * OpSize)..];
            BinaryPrimitives.WriteUInt64LittleEndian(at, (ulong)kind);
            BinaryPrimitives.WriteUInt64LittleEndian(at[8..], a);
            BinaryPrimitives.WriteUInt64LittleEndian(at[16..], b);
            BinaryPrimitives.WriteUInt64LittleEndian(at[24..], c);
            BinaryPrimitives.WriteUInt64LittleEndian(at[32..], d);
        }
        return bytes;
    }

    /// <summary>Names operation <paramref name="index"/> for an error message.</summary>
    public string Describe(long index)
    {
        if (index < 0 || index >= _ops.Count) return $"operation {index}";
        var (kind, a, b, c, _, text) = _ops[(int)index];
        return kind switch
        {
            Op.Unmap => $"unmapping the stub's 0x{a:x}-0x{a + b:x}",
            Op.Move => $"moving the kernel's vDSO mapping 0x{a:x} to 0x{c:x}",
            Op.Map => $"mapping 0x{a:x}-0x{a + b:x}",
            Op.Protect => $"protecting 0x{a:x}-0x{a + b:x}",
            Op.Open => $"reopening {text} as fd {_ops[(int)index].D}",
            Op.ChangeDirectory => $"changing to the working directory {text}",
            Op.Ignore => $"ignoring signal {a}",
            Op.RobustList => "setting the robust futex list",
            Op.Rseq => "registering restartable sequences",
            Op.Name => $"naming the process {text}",
            _ => kind.ToString(),
        };
    }
}
