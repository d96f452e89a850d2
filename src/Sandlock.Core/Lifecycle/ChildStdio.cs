using Sandlock.Interop;

namespace Sandlock.Lifecycle;

/// <summary>The fds a child's stdin/stdout/stderr are set to, and the parent ends of capture pipes.</summary>
internal sealed class ChildStdio : IDisposable
{
    private const int CapturePipeBytes = 512 << 10;

    private int _devNull = -1, _outRead = -1, _outWrite = -1, _errRead = -1, _errWrite = -1;

    public int ChildStdin { get; private set; } = -1;
    public int ChildStdout { get; private set; } = -1;
    public int ChildStderr { get; private set; } = -1;

    public IReadOnlyList<int> ExtraFds { get; private set; } = [];

    public static ChildStdio Open(StdioMode mode, ChildStreams? given = null)
    {
        var stdio = OpenFor(mode, given?.Stdout >= 0);
        if (given is null) return stdio;
        if (given.Stdin >= 0) stdio.ChildStdin = given.Stdin;
        if (given.Stdout >= 0) stdio.ChildStdout = given.Stdout;
        stdio.ExtraFds = given.ExtraFds ?? [];
        return stdio;
    }

    private static ChildStdio OpenFor(StdioMode mode, bool stdoutGiven)
    {
        var stdio = new ChildStdio();
        try
        {
            if (mode == StdioMode.Inherit) return stdio;
            stdio.ChildStdin = stdio._devNull = Check(Libc.Open("/dev/null", Libc.O_RDWR | Libc.O_CLOEXEC), "open /dev/null");
            if (mode == StdioMode.Null)
            {
                stdio.ChildStdout = stdio.ChildStderr = stdio._devNull;
                return stdio;
            }
            if (!stdoutGiven) stdio.OpenStdoutPipe();
            (stdio._errRead, stdio._errWrite) = Pipe();
            stdio.ChildStderr = stdio._errWrite;
            return stdio;
        }
        catch
        {
            stdio.Dispose();
            throw;
        }
    }

    private void OpenStdoutPipe()
    {
        (_outRead, _outWrite) = Pipe();
        // A large buffer lets a chatty command run on while the watcher is busy, instead of blocking every
        // 64 KiB. stdout only, and a modest size: an unprivileged user's pipe buffers count against a shared
        // limit (pipe-user-pages-soft) past which all its new pipes get one page. Refused, the default stays.
        Libc.TrySetPipeSize(_outWrite, CapturePipeBytes);
        ChildStdout = _outWrite;
    }

    /// <summary>Hands the read end of the stdout pipe to the caller, who closes it from then on.</summary>
    public int? TakeParentStdout() => Take(ref _outRead);

    public int? TakeParentStderr() => Take(ref _errRead);

    private static int? Take(ref int fd)
    {
        if (fd < 0) return null;
        var taken = fd;
        fd = -1;
        return taken;
    }

    private static (int Read, int Write) Pipe()
    {
        var (read, write) = Libc.CreatePipe() ?? throw new IOException($"cannot create a pipe: {Libc.ErrorText(Libc.LastError)}");
        // Only our end is non-blocking: the child must see an ordinary blocking pipe.
        Libc.SetNonBlocking(read);
        return (read, write);
    }

    private static int Check(int result, string what) =>
        result >= 0 ? result : throw new IOException($"cannot {what}: {Libc.ErrorText(Libc.LastError)}");

    public void Dispose()
    {
        foreach (var fd in new[] { _devNull, _outRead, _outWrite, _errRead, _errWrite }) Libc.CloseQuietly(fd);
        _devNull = _outRead = _outWrite = _errRead = _errWrite = -1;
    }
}
