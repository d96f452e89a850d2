namespace Sandlock.Interop;

/// <summary>A level-triggered epoll instance keyed by caller-chosen ids.</summary>
internal sealed unsafe class EpollSet
{
    private readonly int _epoll;

    public EpollSet()
    {
        _epoll = Libc.EpollCreate1(Libc.O_CLOEXEC);
        if (_epoll < 0) throw new InvalidOperationException($"epoll_create1 failed: {Libc.ErrorText(Libc.LastError)}");
    }

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/> (level-triggered; errors and hang-ups always).</summary>
    public void Add(int fd, ulong id, uint events = Libc.EPOLLIN)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + Libc.EpollDataOffset) = id;
        if (Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_ADD, fd, ev) != 0)
            throw new InvalidOperationException($"epoll_ctl failed: {Libc.ErrorText(Libc.LastError)}");
    }

    public void Remove(int fd) => Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_DEL, fd, null);

    /// <summary>Blocks until something is ready; fills <paramref name="ready"/> and returns how many.</summary>
    public int Wait(Span<(ulong Id, uint Events)> ready)
    {
        var size = Libc.EpollEventSize;
        var events = stackalloc byte[ready.Length * 16];
        var n = Libc.EpollWait(_epoll, events, ready.Length, -1);
        for (var i = 0; i < n; i++)
        {
            var ev = events + i * size;
            ready[i] = (*(ulong*)(ev + Libc.EpollDataOffset), *(uint*)ev);
        }
        return Math.Max(n, 0);
    }
}
