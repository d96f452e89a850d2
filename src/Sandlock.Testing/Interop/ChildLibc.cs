using System.Runtime.InteropServices;

namespace Sandlock.Testing.Interop;

/// <summary>The libc calls a shared child host makes in itself between tests (it does not load Sandlock.Core).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static partial class ChildLibc
{
    public const int AfUnix = 1, SockStream = 1, SockCloexec = 0x80000, Eintr = 4;

    // "libc" is looked for as libc.so, liblibc.so and libc in the test's folder, the runtime's and the system's before
    // the runtime settles on libc.so.6: ~14 opens, each held by the child's supervisor. Named by its soname, the libc
    // the process runs on already is found without opening a file.
    static ChildLibc() => NativeLibrary.SetDllImportResolver(typeof(ChildLibc).Assembly, (name, _, _) =>
        name == "libc" && NativeLibrary.TryLoad("libc.so.6", out var libc) ? libc : 0);

    [LibraryImport("libc", EntryPoint = "srand48")]
    public static partial void Srand48(nint seed);

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    /// <param name="address">A whole <c>sockaddr_un</c>.</param>
    [LibraryImport("libc", EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(int fd, byte[] address, uint length);

    [LibraryImport("libc", EntryPoint = "close")]
    public static partial int Close(int fd);
}
