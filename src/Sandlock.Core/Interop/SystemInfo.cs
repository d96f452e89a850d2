using System.Runtime.InteropServices;

namespace Sandlock.Interop;

internal static unsafe partial class SystemInfo
{
    /// <summary>struct utsname: six fields of 65 bytes on Linux.</summary>
    public const int UtsnameSize = 6 * 65;

    [LibraryImport("libc", EntryPoint = "uname", SetLastError = true)]
    private static partial int UnameNative(byte* buffer);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint EffectiveUserId();

    /// <summary>The calling thread's kernel id; the process's main thread is the one whose id is the process id.</summary>
    [LibraryImport("libc", EntryPoint = "gettid")]
    public static partial int ThreadId();

    [LibraryImport("libc", EntryPoint = "getegid")]
    public static partial uint EffectiveGroupId();

    public static byte[] Uname()
    {
        var buffer = new byte[UtsnameSize];
        fixed (byte* p = buffer)
            if (UnameNative(p) != 0) throw new InvalidOperationException($"uname failed: {Libc.ErrorText(Libc.LastError)}");
        return buffer;
    }
}
