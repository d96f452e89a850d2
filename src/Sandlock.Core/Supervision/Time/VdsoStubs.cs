using System.Buffers.Binary;

namespace Sandlock.Supervision.Time;

/// <summary>
/// x86_64 machine code written over vDSO functions, so programs that read the clock (or random bytes) without a
/// syscall get the sandbox's answers. Assembled with GNU as (Intel syntax); the listings are the source.
/// </summary>
public static class VdsoStubs
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

    /// <summary>gettimeofday as the plain syscall, which the filter holds. <code>mov eax, 96; syscall; ret</code></summary>
    public static byte[] GetTimeOfDay { get; } = [0xb8, 0x60, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3];

    /// <summary>time as the plain syscall, which the filter holds. <code>mov eax, 201; syscall; ret</code></summary>
    public static byte[] Time { get; } = [0xb8, 0xc9, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xc3];

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
