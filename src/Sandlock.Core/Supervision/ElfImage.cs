using System.Buffers.Binary;
using System.Text;

namespace Sandlock.Supervision;

/// <summary>
/// The functions of an x86_64 ELF image (a vDSO as mapped, or a program's or library's file): where each starts,
/// counted from where the image's file offset 0 is loaded, and how long it is; and which symbol's address the
/// dynamic linker puts in each GOT slot, through which the image calls other libraries.
/// </summary>
internal sealed class ElfImage
{
    private const int ElfClass64 = 2, LittleEndian = 1, MachineX86_64 = 62;
    private const uint PtLoad = 1, ShtSymtab = 2, ShtRela = 4, ShtDynsym = 11, RelocGlobDat = 6, RelocJumpSlot = 7;
    private const byte SttFunc = 2;

    private readonly Dictionary<string, (int Offset, int Size)> _functions;
    private readonly Dictionary<long, string> _slots;

    private ElfImage(Dictionary<string, (int Offset, int Size)> functions, Dictionary<long, string> slots, int contentEnd)
    {
        _functions = functions;
        _slots = slots;
        ContentEnd = contentEnd;
    }

    public IReadOnlyCollection<string> Functions => _functions.Keys;

    /// <summary>Where the ELF file ends in the image: in a vDSO mapping, what follows up to the page end is padding no code uses.</summary>
    public int ContentEnd { get; }

    /// <summary>Where <paramref name="name"/> starts in the image and how many bytes it spans, if the image exports it.</summary>
    public bool TryGetFunction(string name, out int offset, out int size)
    {
        var found = _functions.TryGetValue(name, out var f);
        (offset, size) = f;
        return found;
    }

    /// <summary>The symbol whose address the dynamic linker puts in the GOT slot at <paramref name="offset"/>, if it fills one there.</summary>
    public bool TryGetSlotSymbol(long offset, out string name) => _slots.TryGetValue(offset, out name!);

    /// <summary>Parses an x86_64 ELF image; <see cref="FormatException"/> names <paramref name="what"/> and what does not fit.</summary>
    public static ElfImage Parse(ReadOnlySpan<byte> image, string what)
    {
        ReadOnlySpan<byte> magic = [0x7F, (byte)'E', (byte)'L', (byte)'F'];
        if (image.Length < 64 || !image[..4].SequenceEqual(magic))
            throw new FormatException($"{what} does not start with an ELF header");
        if (image[4] != ElfClass64 || image[5] != LittleEndian || U16(image, 18) != MachineX86_64)
            throw new FormatException($"{what} is not a 64-bit little-endian x86_64 ELF image");

        // File offset 0 is mapped at the first PT_LOAD's address; symbol values are link-time addresses.
        var (phOffset, phSize, phCount) = ((int)U64(image, 32), U16(image, 54), U16(image, 56));
        long? loadAddress = null;
        for (var i = 0; i < phCount; i++)
        {
            var ph = Slice(image, phOffset + i * phSize, 56, what, "program header");
            if (U32(ph, 0) == PtLoad && U64(ph, 8) == 0) { loadAddress = (long)U64(ph, 16); break; }
        }
        if (loadAddress is not { } load) throw new FormatException($"{what} has no PT_LOAD segment at file offset 0");

        var (shOffset, shSize, shCount) = ((int)U64(image, 40), U16(image, 58), U16(image, 60));
        var contentEnd = (long)shOffset + shCount * shSize;
        for (var i = 0; i < phCount; i++)
        {
            var ph = Slice(image, phOffset + i * phSize, 56, what, "program header");
            contentEnd = Math.Max(contentEnd, (long)(U64(ph, 8) + U64(ph, 32)));
        }
        for (var i = 0; i < shCount; i++)
        {
            var sh = Slice(image, shOffset + i * shSize, 64, what, "section header");
            const uint shtNobits = 8;
            if (U32(sh, 4) != shtNobits) contentEnd = Math.Max(contentEnd, (long)(U64(sh, 24) + U64(sh, 32)));
        }
        if (contentEnd > image.Length) throw new FormatException($"{what}'s ELF file is larger than its mapping");

        var sections = new List<(uint Type, int Offset, int Size, uint Link, int EntrySize)>();
        for (var i = 0; i < shCount; i++)
        {
            var sh = Slice(image, shOffset + i * shSize, 64, what, "section header");
            sections.Add((U32(sh, 4), (int)U64(sh, 24), (int)U64(sh, 32), U32(sh, 40), (int)U64(sh, 56)));
        }
        var functions = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        var slots = new Dictionary<long, string>();
        var dynamic = sections.FindIndex(x => x.Type == ShtDynsym);
        if (dynamic < 0 && !sections.Exists(x => x.Type == ShtSymtab)) throw new FormatException($"{what} has no symbol table");
        for (var index = 0; index < sections.Count; index++)
        {
            if (sections[index].Type is not (ShtDynsym or ShtSymtab)) continue;
            var names = ReadSymbols(image, what, sections, index, load, functions);
            if (index != dynamic) continue;
            // The GOT slots the dynamic linker fills with a symbol's address: how a library reaches another's function.
            foreach (var rela in sections.Where(x => x.Type == ShtRela && x.Link == index))
            {
                var entries = Slice(image, rela.Offset, rela.Size, what, "relocation section");
                for (var at = 0; at + 24 <= entries.Length; at += 24)
                {
                    var (offset, info) = ((long)U64(entries, at) - load, U64(entries, at + 8));
                    if ((uint)info is RelocGlobDat or RelocJumpSlot && (int)(info >> 32) is var symbol && symbol < names.Count)
                        slots[offset] = names[symbol];
                }
            }
        }
        return new ElfImage(functions, slots, (int)contentEnd);
    }

    /// <summary>Adds the function symbols of section <paramref name="index"/> to <paramref name="functions"/>; returns every symbol's name by index.</summary>
    private static List<string> ReadSymbols(ReadOnlySpan<byte> image, string what,
        List<(uint Type, int Offset, int Size, uint Link, int EntrySize)> sections, int index, long load, Dictionary<string, (int, int)> functions)
    {
        var table = sections[index];
        if (table.EntrySize < 24) throw new FormatException($"{what}'s symbols are smaller than Elf64_Sym");
        if (table.Link >= sections.Count) throw new FormatException($"{what}'s symbol names lie outside the image");
        var symbols = Slice(image, table.Offset, table.Size, what, "symbol table");
        var strings = Slice(image, sections[(int)table.Link].Offset, sections[(int)table.Link].Size, what, "symbol names");
        var names = new List<string>();
        for (var at = 0; at + table.EntrySize <= symbols.Length; at += table.EntrySize)
        {
            var symbol = symbols.Slice(at, 24);
            var nameStart = (int)U32(symbol, 0);
            if (nameStart >= strings.Length) throw new FormatException($"a symbol name of {what} lies outside its string table");
            var nameLength = strings[nameStart..].IndexOf((byte)0);
            if (nameLength < 0) throw new FormatException($"a symbol name of {what} is not terminated");
            var name = Encoding.ASCII.GetString(strings.Slice(nameStart, nameLength));
            names.Add(name);
            if ((symbol[4] & 0xF) != SttFunc || U16(symbol, 6) == 0) continue;
            var offset = (long)U64(symbol, 8) - load;
            var size = (long)U64(symbol, 16);
            if (offset < 0 || size < 0 || offset + size > image.Length) throw new FormatException($"a function of {what} lies outside the image");
            functions.TryAdd(name, ((int)offset, (int)size));
        }
        return names;
    }

    private static ReadOnlySpan<byte> Slice(ReadOnlySpan<byte> image, int offset, int length, string what, string part) =>
        offset >= 0 && length >= 0 && (long)offset + length <= image.Length
            ? image.Slice(offset, length)
            : throw new FormatException($"{what}'s {part} lies outside the image");

    // Header fields: a slice already checked, or the fixed-size ELF header the length check above covers.
    private static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(at, 2));
    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(at, 4));
    private static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.Slice(at, 8));
}
