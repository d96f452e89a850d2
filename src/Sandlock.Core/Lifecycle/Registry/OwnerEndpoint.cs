using System.Net.Sockets;
using System.Text.Json;
using Sandlock.Interop;

namespace Sandlock.Lifecycle.Registry;

/// <summary>
/// This process's entry in the <see cref="RuntimeFolder"/>: holds the lock for as long as the process lives and
/// answers <see cref="RegistryRequest"/>s on a unix socket: the <see cref="EventLoop"/> waits for connections on a
/// listener made by plain syscalls (a .NET Socket would start the socket engine's thread in every CLI run), each
/// connection is served on the thread pool as a Socket. Only clients of this user are answered (SO_PEERCRED).
/// </summary>
internal static class OwnerEndpoint
{
    private const int MaxRequestBytes = 4096;
    private static readonly TimeSpan ClientPatience = TimeSpan.FromSeconds(10);

    // The process waits this long on its way out for answers being sent: a kill ends the sandbox its main thread waits
    // for, and the process exited before the answer to the kill was written (the client read an empty answer).
    private static readonly TimeSpan AnswersOnExit = TimeSpan.FromSeconds(1);

    private static int _serving;
    private static int _lockFd = -1;
    private static int _listener = -1;
    private static RegistryFiles? _files;

    /// <summary>Why this process's sandboxes are not listed, when opening the entry failed.</summary>
    public static string? Problem { get; private set; }

    /// <summary>Where this process answers, once open.</summary>
    public static string? SocketPath => _listener < 0 ? null : _files?.Socket;

    /// <summary>
    /// Opens the entry and answers on it for the life of the process; a failure leaves the sandboxes running,
    /// unlisted, and says why in <see cref="Problem"/>.
    /// </summary>
    public static void OpenAndServe()
    {
        if (Open() is var listener and >= 0) EventLoop.Add(new ConnectionWatch(listener));
    }

    private static int Open()
    {
        var listener = -1;
        try
        {
            var folder = RuntimeFolder.Resolve();
            var files = new RegistryFiles(folder, $"{Environment.ProcessId}-{Random.Shared.NextInt64(1L << 32):x8}");
            _files = files;
            var partLock = files.Lock + RegistryFiles.PartSuffix;
            var fd = Libc.Open(partLock, Libc.O_RDWR | Libc.O_CREAT | Libc.O_EXCL | Libc.O_CLOEXEC | Libc.O_NOFOLLOW, 0b110_000_000);
            if (fd < 0) throw new RegistryException($"cannot create {partLock}: {Libc.ErrorText(Libc.LastError)}");
            _lockFd = fd;
            if (!FileLock.TryLockExclusive(fd)) throw new RegistryException($"cannot lock {partLock}: {Libc.ErrorText(Libc.LastError)}");
            File.Move(partLock, files.Lock);

            var partSocket = files.Socket + RegistryFiles.PartSuffix;
            listener = UnixListener.Open(partSocket, 16);
            if (listener < 0) throw new RegistryException($"cannot listen on {partSocket}: {Libc.ErrorText(-listener)}");
            File.Move(partSocket, files.Socket);
            _listener = listener;
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                WaitForAnswers();
                files.Remove();
            };
            return listener;
        }
        // Whatever went wrong: the sandbox that opens it runs on, unlisted.
        catch (Exception e)
        {
            Problem = e.Message;
            if (listener >= 0) Libc.Close(listener);
            _listener = -1;
            _files?.Remove();
            if (_lockFd >= 0) Libc.Close(_lockFd);
            _lockFd = -1;
            _files = null;
            return -1;
        }
    }

    /// <summary>Accepts what is pending, one connection per readiness.</summary>
    private sealed class ConnectionWatch(int listener) : EventLoop.Watch(listener)
    {
        private static readonly TimeSpan OutOfFdsPause = TimeSpan.FromMilliseconds(100);

        public override bool OnReady(uint events)
        {
            var fd = UnixListener.Accept(Fd);
            if (fd >= 0)
            {
                var client = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
                Interlocked.Increment(ref _serving);
                _ = Task.Run(() => ServeAsync(client));
                return false;
            }
            // The client gave up before we took it.
            if (fd == -Errno.EAGAIN || fd == -Errno.ECONNABORTED) return false;
            if (fd == -Errno.EBADF || fd == -Errno.EINVAL) return true;
            // Out of fds, say: listen again later rather than spin on a connection that cannot be taken.
            EventLoop.Remove(this);
            _ = Task.Delay(OutOfFdsPause).ContinueWith(_ => EventLoop.Add(new ConnectionWatch(Fd)), TaskScheduler.Default);
            return true;
        }
    }

    private static async Task ServeAsync(Socket client)
    {
        using (client)
        {
            try
            {
                // Read before answering, even a refused one: closing on an unread request would reset the
                // connection and lose the answer.
                using var patience = new CancellationTokenSource(ClientPatience);
                var request = await ReadRequestAsync(client, patience.Token).ConfigureAwait(false);
                var reply = PeerCredentials.Of(client) is not { } peer || peer.Uid != SystemInfo.EffectiveUserId()
                    ? new RegistryReply(Error: "refused: only the user who started a sandbox may see or kill it")
                    : Answer(request);
                var bytes = JsonSerializer.SerializeToUtf8Bytes(reply, RegistryJson.Default.RegistryReply);
                await client.SendAsync(bytes).ConfigureAwait(false);
                client.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A client that went away or sent nonsense gets nothing; the owner and its sandboxes carry on.
            }
            finally
            {
                Interlocked.Decrement(ref _serving);
            }
        }
    }

    private static void WaitForAnswers()
    {
        var deadline = Environment.TickCount64 + (long)AnswersOnExit.TotalMilliseconds;
        while (Volatile.Read(ref _serving) > 0 && Environment.TickCount64 < deadline) Thread.Sleep(1);
    }

    private static async Task<RegistryRequest?> ReadRequestAsync(Socket client, CancellationToken cancellationToken)
    {
        var buffer = new byte[MaxRequestBytes];
        var length = 0;
        while (length < buffer.Length)
        {
            var n = await client.ReceiveAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            length += n;
            if (Array.IndexOf(buffer, (byte)'\n', length - n, n) >= 0) break;
        }
        try { return JsonSerializer.Deserialize(buffer.AsSpan(0, length).TrimEnd((byte)'\n'), RegistryJson.Default.RegistryRequest); }
        catch (JsonException) { return null; /* answered as an unknown request */ }
    }

    private static RegistryReply Answer(RegistryRequest? request)
    {
        switch (request)
        {
            case { Op: "list" }:
                return new RegistryReply([.. SandboxRegistry.Entries.Select(e => RunningSandboxReport.Describe(e, full: false))]);
            case { Op: "inspect", Id: { } id }:
                return new RegistryReply(SandboxRegistry.TryGet(id, out var found) ? [RunningSandboxReport.Describe(found, full: true)] : []);
            case { Op: "kill", Id: { } id }:
                if (!SandboxRegistry.TryGet(id, out var victim)) return new RegistryReply([]);
                var described = RunningSandboxReport.Describe(victim, full: false);
                try { victim.Sandbox.Kill(); }
                catch (InvalidOperationException e) { return new RegistryReply(Error: e.Message); }
                return new RegistryReply([described]);
            default:
                return new RegistryReply(Error: "unknown request: expected list, inspect ID or kill ID");
        }
    }
}
