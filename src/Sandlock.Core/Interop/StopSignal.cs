using Microsoft.Win32.SafeHandles;

namespace Sandlock.Interop;

/// <summary>An eventfd that becomes readable, for good, once set: a blocking poll that includes it wakes to stop.</summary>
internal sealed partial class StopSignal : IDisposable
{
    private const int EfdCloexec = 0x80000, EfdNonBlock = 0x800;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "eventfd_write", SetLastError = true)]
    private static partial int EventFdWrite(SafeFileHandle fd, ulong value);

    public StopSignal()
    {
        var fd = Libc.EventFd(0, EfdCloexec | EfdNonBlock);
        if (fd < 0) throw new IOException($"eventfd failed: {Libc.ErrorText(Libc.LastError)}");
        Handle = new SafeFileHandle(fd, ownsHandle: true);
    }

    public SafeFileHandle Handle { get; }

    public void Set()
    {
        if (!Handle.IsClosed) EventFdWrite(Handle, 1);
    }

    public void Dispose() => Handle.Dispose();
}
