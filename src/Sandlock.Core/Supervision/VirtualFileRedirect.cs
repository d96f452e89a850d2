using Sandlock.Interop;

namespace Sandlock.Supervision;

/// <summary>
/// Holds open/openat and answers opens of chosen paths with an fd to a file of the supervisor's making (the
/// pinned /etc/hosts, seeded /dev/urandom); every other open continues unchanged. Letting those continue is safe even if the child
/// changes the path afterwards: the kernel then opens it under the child's own Landlock rules.
/// </summary>
public sealed class VirtualFileRedirect : SyscallHandler
{
    private const int Enomem = 12;
    private readonly Dictionary<string, MemoryFile> _files;

    public VirtualFileRedirect(IReadOnlyDictionary<string, byte[]> files) =>
        _files = files.ToDictionary(f => f.Key, f => new MemoryFile(f.Key, f.Value), StringComparer.Ordinal);

    public override IReadOnlyCollection<string> Syscalls { get; } = ["open", "openat"];

    public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        if (HeldOpen.Read(session, call) is not { } open || !_files.TryGetValue(open.Path, out var file))
            return ValueTask.FromResult(SyscallDecision.Allow);
        var fd = file.OpenCopy();
        if (fd < 0) return ValueTask.FromResult(SyscallDecision.Deny(Enomem));
        try
        {
            var installed = SeccompNotify.SendFd(session.Listener, call.Id, fd, (open.Flags & (ulong)Libc.O_CLOEXEC) != 0);
            return ValueTask.FromResult(installed >= 0 ? SyscallDecision.Done : SyscallDecision.Deny(Enomem));
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>A sealed in-memory file; each open gets its own description (its own offset) via /proc/self/fd.</summary>
    private sealed class MemoryFile
    {
        private readonly int _fd;

        public MemoryFile(string name, byte[] bytes)
        {
            _fd = ProcessMemory.MemfdCreate("sandlock" + name.Replace('/', '-'), 1 /* MFD_CLOEXEC */);
            if (_fd < 0) throw new InvalidOperationException($"memfd_create failed: {Libc.ErrorText(Libc.LastError)}");
            using var stream = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(Libc.Dup(_fd), true), FileAccess.Write);
            stream.Write(bytes);
        }

        public int OpenCopy() => Libc.Open($"/proc/self/fd/{_fd}", Libc.O_RDONLY | Libc.O_CLOEXEC);
    }
}
