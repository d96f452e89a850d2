using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;

namespace Sandlock.Supervision;

/// <summary>
/// A file of the supervisor's making, in memory (a memfd), sealed so that nobody, the sandbox included, can change it
/// once written. Each open gets its own description (its own offset) through /proc/self/fd. Its pages are freed
/// when it is disposed and the last copy handed out is closed.
/// </summary>
internal sealed class MemoryFile : IDisposable
{
    private const uint MfdCloexec = 1, MfdAllowSealing = 2;
    private int _fd;

    public MemoryFile(string name, ReadOnlySpan<byte> content)
    {
        _fd = ProcessMemory.MemfdCreate(name, MfdCloexec | MfdAllowSealing);
        if (_fd < 0) throw new InvalidOperationException($"memfd_create {name} failed: {Libc.ErrorText(Libc.LastError)}");
        try
        {
            RandomAccess.Write(new SafeFileHandle(_fd, ownsHandle: false), content, 0);
            if (!Libc.AddSeals(_fd, Libc.F_SEAL_WRITE | Libc.F_SEAL_GROW | Libc.F_SEAL_SHRINK | Libc.F_SEAL_SEAL))
                throw new InvalidOperationException($"sealing memfd {name} failed: {Libc.ErrorText(Libc.LastError)}");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>A read-only fd of its own (close-on-exec), or -1 with errno in <see cref="Libc.LastError"/>.</summary>
    public int OpenCopy()
    {
        ObjectDisposedException.ThrowIf(_fd < 0, this);
        return Libc.Open($"/proc/self/fd/{_fd}", Libc.O_RDONLY | Libc.O_CLOEXEC);
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        Libc.Close(_fd);
        _fd = -1;
    }
}
