namespace Sandlock.Interop;

/// <summary>An eventfd in the event loop's set: any thread sets it to wake a caller serving the loop; the loop drains it.</summary>
internal sealed unsafe partial class LoopWakeup
{
    private const int EfdCloexec = 0x80000, EfdNonBlock = 0x800;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "eventfd_write", SetLastError = true)]
    private static partial int EventFdWrite(int fd, ulong value);

    public LoopWakeup()
    {
        Fd = Libc.EventFd(0, EfdCloexec | EfdNonBlock);
        if (Fd < 0) throw new IOException($"eventfd failed: {Libc.ErrorText(Libc.LastError)}");
    }

    public int Fd { get; }

    public void Set() => EventFdWrite(Fd, 1);

    public void Drain()
    {
        ulong count;
        Libc.Read(Fd, (byte*)&count, sizeof(ulong));
    }
}
