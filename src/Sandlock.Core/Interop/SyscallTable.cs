using System.Runtime.InteropServices;

namespace Sandlock.Interop;

/// <summary>Syscall names and numbers of one architecture, with the AUDIT_ARCH value seccomp reports for it.</summary>
internal sealed partial class SyscallTable
{
    // A plain dictionary: a frozen one costs more to build than the few hundred look-ups of a start ever save.
    private readonly Dictionary<string, int> _numbers;

    private SyscallTable(string architecture, uint auditArch, KeyValuePair<string, int>[] numbers, KeyValuePair<string, int>[] unified)
    {
        Architecture = architecture;
        AuditArch = auditArch;
        // Sized once and filled by plain loops: every sandboxed start builds this table.
        _numbers = new Dictionary<string, int>(numbers.Length + unified.Length, StringComparer.Ordinal);
        foreach (var (name, number) in numbers) _numbers.Add(name, number);
        foreach (var (name, number) in unified) _numbers.Add(name, number);
    }

    public string Architecture { get; }
    public uint AuditArch { get; }
    public IReadOnlyDictionary<string, int> Numbers => _numbers;

    // A property, not a field: the per-architecture tables live in other parts of this partial class. Each is built
    // on first use (field ??=): a process needs only its own.
    public static SyscallTable Current => RuntimeInformation.ProcessArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => X64,
        System.Runtime.InteropServices.Architecture.Arm64 => Arm64,
        var other => throw new PlatformNotSupportedException($"sandlock supports x86_64 and aarch64, not {other}"),
    };

    public bool Contains(string name) => _numbers.ContainsKey(name);

    public bool TryGetNumber(string name, out int number) => _numbers.TryGetValue(name, out number);

    public int this[string name] => _numbers[name];
}
