using Sandlock.Interop;
using Sandlock.Confinement.Seccomp;
using Sandlock.Supervision;

namespace Sandlock.Tests.Supervision;

/// <summary>
/// What handlers keep for a sandbox (memfds, mount folders, the /proc listing) is released when it ends, but never
/// under a handler still at work: a call from a process being killed can outlast the sandbox's end.
/// </summary>
public sealed class SessionStateTests
{
    private sealed class Held : IDisposable
    {
        public bool Disposed { get; private set; }
        public void Dispose() => Disposed = true;
    }

    private static SupervisedSession NewSession() => new([], SyscallTable.Current);

    [Fact]
    public void State_is_released_when_the_sandbox_ends()
    {
        var session = NewSession();
        var held = session.State(() => new Held());
        session.End();
        Assert.True(held.Disposed);
    }

    [Fact]
    public void State_a_handler_at_work_uses_is_released_only_when_it_has_decided()
    {
        var session = NewSession();
        session.CallStarted();
        var held = session.State(() => new Held());
        session.End();
        Assert.False(held.Disposed);
        session.CallFinished();
        Assert.True(held.Disposed);
    }

    [Fact]
    public void State_made_by_a_call_after_the_end_is_released_too()
    {
        var session = NewSession();
        session.End();
        session.CallStarted();
        var late = session.State(() => new Held());
        Assert.False(late.Disposed);
        session.CallFinished();
        Assert.True(late.Disposed);
    }
}
