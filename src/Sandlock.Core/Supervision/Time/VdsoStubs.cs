using System.Buffers.Binary;

namespace Sandlock.Supervision.Time;

/// <summary>
/// x86_64 machine code written over vDSO functions, so programs that read the clock (or random bytes) without a
/// syscall get the sandbox's answers. Assembled with GNU as (Intel syntax); the listings are the source.
/// </summary>
internal static class VdsoStubs
{
    /// <summary>
    /// clock_gettime(clockid edi, struct timespec *rsi). CLOCK_REALTIME (0) and CLOCK_REALTIME_COARSE (5) read
    /// CLOCK_MONOTONIC (1) resp. CLOCK_MONOTONIC_COARSE (6) through the syscall, which the filter does not hold, and
    /// add the sandbox's offset; every other clock is the plain syscall (held for the rest of the realtime family).
    /// <code>
    ///  0: 85 ff                  test edi, edi
    ///  2: 74 0d                  je   0x11
    ///  4: 83 ff 05               cmp  edi, 5
    ///  7: 74 0f                  je   0x18
    ///  9: b8 e4 00 00 00         mov  eax, 228            ; __NR_clock_gettime
    ///  e: 0f 05                  syscall
    /// 10: c3                     ret
    /// 11: bf 01 00 00 00         mov  edi, 1
    /// 16: eb 05                  jmp  0x1d
    /// 18: bf 06 00 00 00         mov  edi, 6
    /// 1d: b8 e4 00 00 00         mov  eax, 228
    /// 22: 0f 05                  syscall
    /// 24: 48 85 c0               test rax, rax
    /// 27: 75 30                  jne  0x59                ; -errno as the syscall gave it
    /// 29: 48 b9 XX*8             movabs rcx, OFFSET_SECONDS
    /// 33: 48 03 0e               add  rcx, [rsi]
    /// 36: ba XX*4                mov  edx, OFFSET_NANOSECONDS
    /// 3b: 48 03 56 08            add  rdx, [rsi+8]
    /// 3f: 48 81 fa 00 ca 9a 3b   cmp  rdx, 1000000000
    /// 46: 7c 0a                  jl   0x52
    /// 48: 48 81 ea 00 ca 9a 3b   sub  rdx, 1000000000
    /// 4f: 48 ff c1               inc  rcx
    /// 52: 48 89 0e               mov  [rsi], rcx
    /// 55: 48 89 56 08            mov  [rsi+8], rdx
    /// 59: c3                     ret
    /// </code>
    /// </summary>
    public static byte[] ClockGettime(long offsetNanoseconds)
    {
        byte[] code =
        [
            0x85, 0xff, 0x74, 0x0d, 0x83, 0xff, 0x05, 0x74, 0x0f, 0xb8, 0xe4, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3,
            0xbf, 0x01, 0x00, 0x00, 0x00, 0xeb, 0x05, 0xbf, 0x06, 0x00, 0x00, 0x00, 0xb8, 0xe4, 0x00, 0x00, 0x00,
            0x0f, 0x05, 0x48, 0x85, 0xc0, 0x75, 0x30,
            0x48, 0xb9, 0, 0, 0, 0, 0, 0, 0, 0,
            0x48, 0x03, 0x0e,
            0xba, 0, 0, 0, 0,
            0x48, 0x03, 0x56, 0x08, 0x48, 0x81, 0xfa, 0x00, 0xca, 0x9a, 0x3b, 0x7c, 0x0a, 0x48, 0x81, 0xea, 0x00,
            0xca, 0x9a, 0x3b, 0x48, 0xff, 0xc1, 0x48, 0x89, 0x0e, 0x48, 0x89, 0x56, 0x08, 0xc3,
        ];
        var (seconds, nanoseconds) = VirtualClock.Split(offsetNanoseconds);
        BinaryPrimitives.WriteInt64LittleEndian(code.AsSpan(0x2b), seconds);
        BinaryPrimitives.WriteInt32LittleEndian(code.AsSpan(0x37), (int)nanoseconds);
        return code;
    }

    /// <summary>
    /// The fast variant, placed in the zero padding after the vDSO's ELF file, with the entries of clock_gettime,
    /// gettimeofday and time replaced by jumps to <see cref="TrampolineClockGettime"/>, <see cref="TrampolineGetTimeOfDay"/>
    /// and <see cref="TrampolineTime"/>. The realtime clocks call the vDSO's own clock_gettime for the monotonic ones
    /// (its displaced first instructions run at <see cref="TrampolineOriginal"/>, then jump back), so a read costs
    /// what it costs without the sandbox; the rest of the realtime family (ALARM, TAI) is the held syscall, every
    /// other clock the vDSO's own code. gettimeofday with a timezone is the held syscall.
    /// <code>
    /// cg:  0: 85 ff              test edi, edi
    ///      2: 74 1c              je   0x20
    ///      4: 83 ff 05           cmp  edi, 5
    ///      7: 74 1e              je   0x27
    ///      9: 83 ff 08           cmp  edi, 8
    ///      c: 74 0a              je   0x18
    ///      e: 83 ff 0b           cmp  edi, 11
    ///     11: 74 05              je   0x18
    ///     13: e9 c8 00 00 00     jmp  orig
    ///     18: b8 e4 00 00 00     mov  eax, 228              ; __NR_clock_gettime
    ///     1d: 0f 05              syscall
    ///     1f: c3                 ret
    ///     20: bf 01 00 00 00     mov  edi, 1
    ///     25: eb 05              jmp  0x2c
    ///     27: bf 06 00 00 00     mov  edi, 6
    ///     2c: 56                 push rsi
    ///     2d: e8 ae 00 00 00     call orig
    ///     32: 5e                 pop  rsi
    ///     33: 85 c0              test eax, eax
    ///     35: 75 30              jne  0x67
    ///     37: 48 b9 XX*8         movabs rcx, OFFSET_SECONDS
    ///     41: 48 03 0e           add  rcx, [rsi]
    ///     44: ba XX*4            mov  edx, OFFSET_NANOSECONDS
    ///     49: 48 03 56 08        add  rdx, [rsi+8]
    ///     4d: 48 81 fa 00 ca 9a 3b cmp rdx, 1000000000
    ///     54: 7c 0a              jl   0x60
    ///     56: 48 81 ea 00 ca 9a 3b sub rdx, 1000000000
    ///     5d: 48 ff c1           inc  rcx
    ///     60: 48 89 0e           mov  [rsi], rcx
    ///     63: 48 89 56 08        mov  [rsi+8], rdx
    ///     67: c3                 ret
    /// gtod: 68: 48 85 f6         test rsi, rsi
    ///     6b: 75 42              jne  0xaf
    ///     6d: 48 85 ff           test rdi, rdi
    ///     70: 74 3a              je   0xac
    ///     72: 57                 push rdi
    ///     73: 48 83 ec 10        sub  rsp, 16
    ///     77: 31 ff              xor  edi, edi
    ///     79: 48 89 e6           mov  rsi, rsp
    ///     7c: e8 7f ff ff ff     call cg
    ///     81: 48 8b 4c 24 10     mov  rcx, [rsp+16]
    ///     86: 85 c0              test eax, eax
    ///     88: 75 1d              jne  0xa7
    ///     8a: 48 8b 14 24        mov  rdx, [rsp]
    ///     8e: 48 89 11           mov  [rcx], rdx
    ///     91: 48 8b 44 24 08     mov  rax, [rsp+8]
    ///     96: 31 d2              xor  edx, edx
    ///     98: 41 b8 e8 03 00 00  mov  r8d, 1000
    ///     9e: 49 f7 f0           div  r8
    ///     a1: 48 89 41 08        mov  [rcx+8], rax
    ///     a5: 31 c0              xor  eax, eax
    ///     a7: 48 83 c4 18        add  rsp, 24
    ///     ab: c3                 ret
    ///     ac: 31 c0              xor  eax, eax
    ///     ae: c3                 ret
    ///     af: b8 60 00 00 00     mov  eax, 96               ; __NR_gettimeofday
    ///     b4: 0f 05              syscall
    ///     b6: c3                 ret
    /// tm: b7: 57                 push rdi
    ///     b8: 48 83 ec 10        sub  rsp, 16
    ///     bc: 31 ff              xor  edi, edi
    ///     be: 48 89 e6           mov  rsi, rsp
    ///     c1: e8 3a ff ff ff     call cg
    ///     c6: 48 8b 4c 24 10     mov  rcx, [rsp+16]
    ///     cb: 85 c0              test eax, eax
    ///     cd: 75 0c              jne  0xdb
    ///     cf: 48 8b 04 24        mov  rax, [rsp]
    ///     d3: 48 85 c9           test rcx, rcx
    ///     d6: 74 03              je   0xdb
    ///     d8: 48 89 01           mov  [rcx], rax
    ///     db: 48 83 c4 18        add  rsp, 24
    ///     df: c3                 ret
    /// orig: e0:                  the displaced instructions of clock_gettime, then jmp clock_gettime+their length
    /// </code>
    /// </summary>
    /// <param name="offsetNanoseconds">Virtual realtime minus CLOCK_MONOTONIC.</param>
    /// <param name="displaced">The first instructions of the vDSO's clock_gettime (see <see cref="DisplaceableLength"/>).</param>
    /// <param name="clockGettimeFromHere">Where the vDSO's clock_gettime starts, counted from the start of this code.</param>
    public static byte[] Trampolines(long offsetNanoseconds, ReadOnlySpan<byte> displaced, int clockGettimeFromHere)
    {
        byte[] fixedPart = Convert.FromHexString(
            "85ff741c83ff05741e83ff08740a83ff0b7405e9c8000000b8e40000000f05c3bf01000000eb05bf0600000056e8ae0000005e85c07530" +
            "48b9000000000000000048030eba00000000480356084881fa00ca9a3b7c0a4881ea00ca9a3b48ffc148890e48895608c3" +
            "4885f675424885ff743a574883ec1031ff4889e6e87fffffff488b4c241085c0751d488b1424488911488b44240831d241b8e8030000" +
            "49f7f04889410831c04883c418c331c0c3b8600000000f05c3" +
            "574883ec1031ff4889e6e83affffff488b4c241085c0750c488b04244885c974034889014883c418c3");
        var (seconds, nanoseconds) = VirtualClock.Split(offsetNanoseconds);
        BinaryPrimitives.WriteInt64LittleEndian(fixedPart.AsSpan(0x39), seconds);
        BinaryPrimitives.WriteInt32LittleEndian(fixedPart.AsSpan(0x45), (int)nanoseconds);
        var code = new byte[TrampolineOriginal + displaced.Length + 5];
        fixedPart.CopyTo(code, 0);
        displaced.CopyTo(code.AsSpan(TrampolineOriginal));
        // The jump back, from the end of this code to the first instruction of clock_gettime not displaced.
        Jump(clockGettimeFromHere + displaced.Length - code.Length).CopyTo(code, TrampolineOriginal + displaced.Length);
        return code;
    }

    public const int TrampolineClockGettime = 0x00, TrampolineGetTimeOfDay = 0x68, TrampolineTime = 0xb7, TrampolineOriginal = 0xe0;

    /// <summary><c>jmp rel32</c>, with the distance counted from the end of the jump.</summary>
    public static byte[] Jump(int distance)
    {
        var jump = new byte[5];
        jump[0] = 0xe9;
        BinaryPrimitives.WriteInt32LittleEndian(jump.AsSpan(1), distance);
        return jump;
    }

    /// <summary>
    /// How many bytes of whole instructions at the start of <paramref name="code"/> make room for a 5-byte jump, if
    /// they are all instructions that run the same anywhere (prologue pushes and stack adjustments); else null.
    /// </summary>
    public static int? DisplaceableLength(ReadOnlySpan<byte> code)
    {
        ReadOnlySpan<byte> endbr64 = [0xf3, 0x0f, 0x1e, 0xfa], movRbpRsp = [0x48, 0x89, 0xe5], andRsp16 = [0x48, 0x83, 0xe4, 0xf0];
        var at = 0;
        while (at < 5)
        {
            var rest = code[at..];
            int length;
            if (rest.StartsWith(endbr64)) length = 4;
            else if (rest.Length > 0 && rest[0] is 0x55 or 0x53) length = 1;                                 // push rbp / rbx
            else if (rest.Length > 1 && rest[0] == 0x41 && rest[1] is >= 0x54 and <= 0x57) length = 2;      // push r12..r15
            else if (rest.StartsWith(movRbpRsp)) length = 3;
            else if (rest.StartsWith(andRsp16)) length = 4;
            else if (rest.Length > 3 && rest[0] == 0x48 && rest[1] == 0x83 && rest[2] == 0xec) length = 4;  // sub rsp, imm8
            else return null;
            at += length;
        }
        return at;
    }

    /// <summary>gettimeofday as the plain syscall, which the filter holds. <code>mov eax, 96; syscall; ret</code></summary>
    public static byte[] GetTimeOfDay { get; } = [0xb8, 0x60, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3];

    /// <summary>
    /// time as the plain syscall, which the filter holds, passing the caller's return address and stack pointer in
    /// arguments the kernel ignores (rsi and rdx need not survive a call), for
    /// <see cref="Determinism.ClockSeededGenerators"/>, which would else read them from /proc/TID/syscall and the stack.
    /// <code>
    ///  0: 48 8b 34 24            mov  rsi, [rsp]
    ///  4: 48 89 e2               mov  rdx, rsp
    ///  7: b8 c9 00 00 00         mov  eax, 201            ; __NR_time
    ///  c: 0f 05                  syscall
    ///  e: c3                     ret
    /// </code>
    /// </summary>
    public static byte[] Time { get; } = [0x48, 0x8b, 0x34, 0x24, 0x48, 0x89, 0xe2, 0xb8, 0xc9, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3];

    /// <summary>
    /// getrandom(buffer, length, flags, state, state_length r8): libc's probe for the vDSO generator (state_length
    /// ~0) gets -ENOSYS, so libc does not use it; any other call is the plain getrandom syscall, held and seeded.
    /// <code>
    ///  0: 49 83 f8 ff            cmp  r8, -1
    ///  4: 75 08                  jne  0xe
    ///  6: 48 c7 c0 da ff ff ff   mov  rax, -38            ; -ENOSYS
    ///  d: c3                     ret
    ///  e: b8 3e 01 00 00         mov  eax, 318            ; __NR_getrandom
    /// 13: 0f 05                  syscall
    /// 15: c3                     ret
    /// </code>
    /// </summary>
    public static byte[] GetRandom { get; } =
        [0x49, 0x83, 0xf8, 0xff, 0x75, 0x08, 0x48, 0xc7, 0xc0, 0xda, 0xff, 0xff, 0xff, 0xc3, 0xb8, 0x3e, 0x01, 0x00, 0x00, 0x0f, 0x05, 0xc3];
}
