using System.Runtime.InteropServices;

namespace Sandlock.Testing.Interop;

/// <summary>The libc calls a shared child host makes in itself between tests (it does not load Sandlock.Core).</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static partial class ChildLibc
{
    [LibraryImport("libc", EntryPoint = "srand48")]
    public static partial void Srand48(nint seed);
}
