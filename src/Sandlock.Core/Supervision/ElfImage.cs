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
    private const int RelocationsPerChunk = 512;

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

    /// <summary>Parses an x86_64 ELF image in memory; <see cref="FormatException"/> names <paramref name="what"/> and what does not fit.</summary>
    public static ElfImage Parse(byte[] image, string what) =>
        Parse(image.Length, (offset, into) => image.AsSpan((int)offset, into.Length).CopyTo(into), what);

    /// <summary>
    /// Parses an x86_64 ELF image of <paramref name="length"/> bytes, reading only its headers, symbols and
    /// relocations through <paramref name="readAt"/> (a library's file is mostly code, which this never needs).
    /// </summary>
    public static ElfImage Parse(long length, ReadAt readAt, string what)
    {
        byte[] Part(long offset, long size, string part)
        {
            if (offset < 0 || size < 0 || size > Array.MaxLength || offset > length - size) throw new FormatException($"{what}'s {part} lies outside the image");
            var bytes = new byte[size];
            readAt(offset, bytes);
            return bytes;
        }

        ReadOnlySpan<byte> magic = [0x7F, (byte)'E', (byte)'L', (byte)'F'];
        if (length < 64) throw new FormatException($"{what} does not start with an ELF header");
        var header = Part(0, 64, "ELF header");
        if (!header.AsSpan(0, 4).SequenceEqual(magic))
            throw new FormatException($"{what} does not start with an ELF header");
        if (header[4] != ElfClass64 || header[5] != LittleEndian || U16(header, 18) != MachineX86_64)
            throw new FormatException($"{what} is not a 64-bit little-endian x86_64 ELF image");

        // File offset 0 is mapped at the first PT_LOAD's address; symbol values are link-time addresses.
        var (phOffset, phSize, phCount) = ((long)U64(header, 32), U16(header, 54), U16(header, 56));
        if (phSize < 56) throw new FormatException($"{what}'s program headers are smaller than Elf64_Phdr");
        var programHeaders = Part(phOffset, (long)phCount * phSize, "program headers");
        long? loadAddress = null;
        for (var i = 0; i < phCount; i++)
        {
            var ph = programHeaders.AsSpan(i * phSize, 56);
            if (U32(ph, 0) == PtLoad && U64(ph, 8) == 0) { loadAddress = (long)U64(ph, 16); break; }
        }
        if (loadAddress is not { } load) throw new FormatException($"{what} has no PT_LOAD segment at file offset 0");

        var (shOffset, shSize, shCount) = ((long)U64(header, 40), U16(header, 58), U16(header, 60));
        if (shCount > 0 && shSize < 64) throw new FormatException($"{what}'s section headers are smaller than Elf64_Shdr");
        var sectionHeaders = Part(shOffset, (long)shCount * shSize, "section headers");
        var contentEnd = shOffset + shCount * shSize;
        for (var i = 0; i < phCount; i++)
        {
            var ph = programHeaders.AsSpan(i * phSize, 56);
            contentEnd = Math.Max(contentEnd, (long)(U64(ph, 8) + U64(ph, 32)));
        }
        var sections = new List<(uint Type, long Offset, long Size, uint Link, int EntrySize)>();
        for (var i = 0; i < shCount; i++)
        {
            var sh = sectionHeaders.AsSpan(i * shSize, 64);
            const uint shtNobits = 8;
            if (U32(sh, 4) != shtNobits) contentEnd = Math.Max(contentEnd, (long)(U64(sh, 24) + U64(sh, 32)));
            sections.Add((U32(sh, 4), (long)U64(sh, 24), (long)U64(sh, 32), U32(sh, 40), (int)U64(sh, 56)));
        }
        if (contentEnd > length) throw new FormatException($"{what}'s ELF file is larger than its mapping");

        var functions = new Dictionary<string, (int, int)>(StringComparer.Ordinal);
        var slots = new Dictionary<long, string>();
        var dynamic = sections.FindIndex(x => x.Type == ShtDynsym);
        if (dynamic < 0 && !sections.Exists(x => x.Type == ShtSymtab)) throw new FormatException($"{what} has no symbol table");
        for (var index = 0; index < sections.Count; index++)
        {
            if (sections[index].Type is not (ShtDynsym or ShtSymtab)) continue;
            var table = sections[index];
            if (table.EntrySize < 24) throw new FormatException($"{what}'s symbols are smaller than Elf64_Sym");
            if (table.Link >= sections.Count) throw new FormatException($"{what}'s symbol names lie outside the image");
            var names = ReadSymbols(Part(table.Offset, table.Size, "symbol table"), table.EntrySize,
                Part(sections[(int)table.Link].Offset, sections[(int)table.Link].Size, "symbol names"), what, load, length, functions);
            if (index != dynamic) continue;
            // The GOT slots the dynamic linker fills with a symbol's address: how a library reaches another's function.
            // In chunks: a large library's relocations (mostly relative ones, of no interest here) run to hundreds of KB.
            var chunk = new byte[RelocationsPerChunk * 24];
            foreach (var rela in sections.Where(x => x.Type == ShtRela && x.Link == index))
            {
                if (rela.Offset < 0 || rela.Size < 0 || rela.Offset > length - rela.Size) throw new FormatException($"{what}'s relocation section lies outside the image");
                for (var done = 0L; done + 24 <= rela.Size; done += chunk.Length)
                {
                    var entries = chunk.AsSpan(0, (int)Math.Min(chunk.Length, rela.Size - done) / 24 * 24);
                    readAt(rela.Offset + done, entries);
                    for (var at = 0; at + 24 <= entries.Length; at += 24)
                    {
                        var (offset, info) = ((long)U64(entries, at) - load, U64(entries, at + 8));
                        if ((uint)info is RelocGlobDat or RelocJumpSlot && (int)(info >> 32) is var symbol && symbol < names.Count)
                            slots[offset] = names[symbol];
                    }
                }
            }
        }
        return new ElfImage(functions, slots, (int)contentEnd);
    }

    /// <summary>Reads <c>into.Length</c> bytes at <paramref name="offset"/> of an image, all of them or an exception.</summary>
    public delegate void ReadAt(long offset, Span<byte> into);

    /// <summary>Adds the function symbols of a symbol table to <paramref name="functions"/>; returns every symbol's name by index.</summary>
    private static List<string> ReadSymbols(ReadOnlySpan<byte> symbols, int entrySize, ReadOnlySpan<byte> strings, string what, long load,
        long length, Dictionary<string, (int, int)> functions)
    {
        var names = new List<string>();
        for (var at = 0; at + entrySize <= symbols.Length; at += entrySize)
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
            if (offset < 0 || size < 0 || offset + size > length) throw new FormatException($"a function of {what} lies outside the image");
            functions.TryAdd(name, ((int)offset, (int)size));
        }
        return names;
    }

    // Header fields: parts read whole, so a field within one's checked size is there.
    private static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(at, 2));
    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(at, 4));
    private static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.Slice(at, 8));
}
