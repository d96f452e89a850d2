using Sandlock.Interop;

namespace Sandlock.Orchestration;

/// <summary>
/// The pipes between the stages of one run. The parent must hold no end once every stage has started: a stage sees
/// EOF, or SIGPIPE, only when the last copy of the other end is gone.
/// </summary>
internal sealed class PipeSet : IDisposable
{
    private readonly List<int> _fds = [];

    /// <summary>A blocking, close-on-exec pipe; the shim gives the child its end as stdin, stdout or fd 3+.</summary>
    public (int Read, int Write) Create()
    {
        var (read, write) = Libc.CreatePipe() ?? throw new SandboxSetupException(SetupFailure.Sandbox,
            $"cannot create a pipe between stages: {Libc.ErrorText(Libc.LastError)}");
        _fds.Add(read);
        _fds.Add(write);
        return (read, write);
    }

    public void Dispose()
    {
        foreach (var fd in _fds) Libc.CloseQuietly(fd);
        _fds.Clear();
    }
}
