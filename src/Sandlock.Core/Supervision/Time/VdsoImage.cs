using System.Buffers.Binary;
using System.Text;

namespace Sandlock.Supervision.Time;

/// <summary>
/// The function symbols of a vDSO, read from its ELF image (the whole image is mapped, section headers included):
/// where each function starts, as an offset into the mapping, and how long it is.
/// </summary>
public sealed class VdsoImage
{
    private const int ElfClass64 = 2, LittleEndian = 1, MachineX86_64 = 62;
    private const uint PtLoad = 1, ShtDynsym = 11;
    private const byte SttFunc = 2;

    private readonly Dictionary<string, (int Offset, int Size)> _functions;

    private VdsoImage(Dictionary<string, (int Offset, int Size)> functions, int contentEnd)
    {
        _functions = functions;
        ContentEnd = contentEnd;
    }

    public IReadOnlyCollection<string> Functions => _functions.Keys;

    /// <summary>Where the ELF file ends in the mapping: what follows, up to the page end, is padding no code uses.</summary>
    public int ContentEnd { get; }

    /// <summary>Where <paramref name="name"/> starts in the mapping and how many bytes it spans, if the vDSO has it.</summary>
    public bool TryGetFunction(string name, out int offset, out int size)
    {
        var found = _functions.TryGetValue(name, out var f);
        (offset, size) = f;
        return found;
    }

    /// <summary>Parses an x86_64 vDSO; <see cref="FormatException"/> names what does not fit.</summary>
    public static VdsoImage Parse(ReadOnlySpan<byte> image)
    {
        ReadOnlySpan<byte> magic = [0x7F, (byte)'E', (byte)'L', (byte)'F'];
        if (image.Length < 64 || !image[..4].SequenceEqual(magic))
            throw new FormatException("the vDSO does not start with an ELF header");
        if (image[4] != ElfClass64 || image[5] != LittleEndian || U16(image, 18) != MachineX86_64)
            throw new FormatException("the vDSO is not a 64-bit little-endian x86_64 ELF image");

        // File offset 0 is mapped at the first PT_LOAD's address; symbol values are link-time addresses.
        var (phOffset, phSize, phCount) = ((int)U64(image, 32), U16(image, 54), U16(image, 56));
        long? loadAddress = null;
        for (var i = 0; i < phCount; i++)
        {
            var ph = Slice(image, phOffset + i * phSize, 56, "program header");
            if (U32(ph, 0) == PtLoad && U64(ph, 8) == 0) { loadAddress = (long)U64(ph, 16); break; }
        }
        if (loadAddress is not { } load) throw new FormatException("the vDSO has no PT_LOAD segment at file offset 0");

        var (shOffset, shSize, shCount) = ((int)U64(image, 40), U16(image, 58), U16(image, 60));
        var contentEnd = (long)shOffset + shCount * shSize;
        for (var i = 0; i < phCount; i++)
        {
            var ph = Slice(image, phOffset + i * phSize, 56, "program header");
            contentEnd = Math.Max(contentEnd, (long)(U64(ph, 8) + U64(ph, 32)));
        }
        for (var i = 0; i < shCount; i++)
        {
            var sh = Slice(image, shOffset + i * shSize, 64, "section header");
            const uint shtNobits = 8;
            if (U32(sh, 4) != shtNobits) contentEnd = Math.Max(contentEnd, (long)(U64(sh, 24) + U64(sh, 32)));
        }
        if (contentEnd > image.Length) throw new FormatException("the vDSO's ELF file is larger than its mapping");
        for (var i = 0; i < shCount; i++)
        {
            var sh = Slice(image, shOffset + i * shSize, 64, "section header");
            if (U32(sh, 4) != ShtDynsym) continue;
            var symbols = Slice(image, (int)U64(sh, 24), (int)U64(sh, 32), ".dynsym");
            var entrySize = (int)U64(sh, 56);
            var strtabHeader = Slice(image, shOffset + (int)U32(sh, 40) * shSize, 64, "section header");
            var strings = Slice(image, (int)U64(strtabHeader, 24), (int)U64(strtabHeader, 32), ".dynstr");
            if (entrySize < 24) throw new FormatException("the vDSO's symbols are smaller than Elf64_Sym");
            var functions = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
            for (var at = 0; at + entrySize <= symbols.Length; at += entrySize)
            {
                var symbol = symbols.Slice(at, 24);
                if ((symbol[4] & 0xF) != SttFunc || U16(symbol, 6) == 0) continue;
                var nameStart = (int)U32(symbol, 0);
                if (nameStart >= strings.Length) throw new FormatException("a vDSO symbol name lies outside .dynstr");
                var nameLength = strings[nameStart..].IndexOf((byte)0);
                if (nameLength < 0) throw new FormatException("a vDSO symbol name is not terminated");
                var offset = (long)U64(symbol, 8) - load;
                var size = (long)U64(symbol, 16);
                if (offset < 0 || size < 0 || offset + size > image.Length) throw new FormatException("a vDSO function lies outside the image");
                functions[Encoding.ASCII.GetString(strings.Slice(nameStart, nameLength))] = ((int)offset, (int)size);
            }
            return new VdsoImage(functions, (int)contentEnd);
        }
        throw new FormatException("the vDSO has no .dynsym section");
    }

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> image, int offset, int length, string what) =>
        offset >= 0 && length >= 0 && (long)offset + length <= image.Length
            ? image.Slice(offset, length)
            : throw new FormatException($"the vDSO's {what} lies outside the image");

    private static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(b, at, 2, "header"));
    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(b, at, 4, "header"));
    private static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(Slice(b, at, 8, "header"));
}
