namespace Sandlock.Confinement.Seccomp;

/// <summary>Classic BPF opcodes and the seccomp ABI values the filter is written against.</summary>
internal static class Bpf
{
    public const ushort LdWAbs = 0x20;   // BPF_LD | BPF_W | BPF_ABS
    public const ushort AndK = 0x54;     // BPF_ALU | BPF_AND | BPF_K
    public const ushort Ja = 0x05;       // BPF_JMP | BPF_JA
    public const ushort JeqK = 0x15;     // BPF_JMP | BPF_JEQ | BPF_K
    public const ushort JgeK = 0x35;     // BPF_JMP | BPF_JGE | BPF_K
    public const ushort JsetK = 0x45;    // BPF_JMP | BPF_JSET | BPF_K
    public const ushort RetK = 0x06;     // BPF_RET | BPF_K

    public const int MaxInstructions = 4096; // BPF_MAXINSNS
    public const int MaxConditionalJump = byte.MaxValue;

    public const uint RetKillProcess = 0x80000000;
    public const uint RetErrno = 0x00050000;
    public const uint RetAllow = 0x7fff0000;
    public const uint RetUserNotif = 0x7fc00000;

    // struct seccomp_data { int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]; }
    public const uint OffsetNr = 0;
    public const uint OffsetArch = 4;
    public const uint OffsetArgs = 16;

    /// <summary>Offset of the low 32 bits of argument <paramref name="index"/>; both supported arches are little endian.</summary>
    public static uint ArgLow(int index) => OffsetArgs + (uint)(8 * index);

    public static uint ArgHigh(int index) => ArgLow(index) + 4;

    public static uint Errno(int errno) => RetErrno | ((uint)errno & 0xFFFF);
}
