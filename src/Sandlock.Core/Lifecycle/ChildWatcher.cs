using Sandlock.Interop;

namespace Sandlock.Lifecycle;

/// <summary>
/// Child exits and captured output pipes, watched on the process's <see cref="EventLoop"/>, so no thread is blocked
/// per sandbox. Everything about one child (reap, kill the rest of its group, drain and close its pipes) happens on
/// that thread, in that order, so no output written before exit is lost.
/// </summary>
internal static class ChildWatcher
{
    /// <summary>Reads a non-blocking pipe until EOF into memory.</summary>
    internal sealed class OutputPipe(int fd, OutputHandler? observer) : EventLoop.Watch(fd)
    {
        private readonly MemoryStream _buffer = new();
        private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool _done;

        public Task Closed
        {
            get
            {
                // Awaited, not served: the loop needs a thread of its own to see the pipe close.
                if (!_closed.Task.IsCompleted) EventLoop.EnsureServed();
                return _closed.Task;
            }
        }

        public byte[] ToArray()
        {
            lock (_buffer) return _buffer.ToArray();
        }

        public override bool OnReady(uint events) => Drain();

        public override void OnFinished() => Finish();

        /// <summary>Reads what is there; true at EOF or error.</summary>
        public bool Drain()
        {
            if (_done) return true;
            Span<byte> chunk = stackalloc byte[65536];
            while (true)
            {
                var n = ChildProcess.Read(Fd, chunk);
                if (n > 0)
                {
                    var data = chunk[..n];
                    lock (_buffer) _buffer.Write(data);
                    try { observer?.Invoke(data); }
                    catch (Exception) { /* an observer's bug must not stop the capture or the watcher */ }
                    continue;
                }
                return n == 0;
            }
        }

        public void Finish()
        {
            if (_done) return;
            _done = true;
            Libc.Close(Fd);
            _closed.TrySetResult();
        }
    }

    /// <summary>Reaps a child through its pidfd, kills what is left of its process group, then drains its pipes.</summary>
    /// <remarks><paramref name="onExit"/> runs on the event loop's thread with (si_code, si_status): keep it short, every sandbox of the process waits on that thread.</remarks>
    internal sealed class ChildExit(int pidFd, int processGroup, IReadOnlyList<OutputPipe> pipes, Action<int, int> onExit) : EventLoop.Watch(pidFd)
    {

        public override bool OnReady(uint events)
        {
            if (ChildProcess.TryReap(Fd) is not var (code, status)) return false;
            // The leader is gone, so /proc no longer links its descendants: the group is what is left to kill.
            Libc.KillGroup(processGroup, Libc.SIGKILL);
            foreach (var pipe in pipes)
            {
                EventLoop.Remove(pipe);
                pipe.Drain();
                pipe.Finish();
            }
            // Out of the epoll set before the close: removing it after, by number, could hit another sandbox's pidfd
            // that was given the same number in between, whose exit would then never be seen.
            EventLoop.Remove(this);
            Libc.Close(Fd);
            onExit(code, status);
            return true;
        }
    }

    public static void Add(EventLoop.Watch watch) => EventLoop.Add(watch);
}
