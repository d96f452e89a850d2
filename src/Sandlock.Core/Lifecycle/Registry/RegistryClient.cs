using System.Net.Sockets;
using System.Text.Json;
using Sandlock.Interop;

namespace Sandlock.Lifecycle.Registry;

/// <summary>
/// Reads the user's <see cref="RuntimeFolder"/> as <c>sandlock ps</c>, <c>inspect</c> and <c>kill</c> do: asks each
/// live owner, and removes the entries of owners that died without removing their own (their lock is free, or
/// their socket refuses).
/// </summary>
internal static class RegistryClient
{
    private static readonly TimeSpan OwnerPatience = TimeSpan.FromSeconds(10);

    /// <summary>Every running sandbox of this user, oldest first.</summary>
    public static IReadOnlyList<SandboxDetails> List() =>
        [.. Owners(RuntimeFolder.Resolve()).SelectMany(owner => AskOrNothing(owner, new RegistryRequest("list"))).OrderBy(s => s.Started)];

    /// <summary>The full account of the one sandbox <paramref name="idOrName"/> names.</summary>
    public static SandboxDetails Inspect(string idOrName) => Act("inspect", idOrName);

    /// <summary>Has the owner kill the one sandbox <paramref name="idOrName"/> names; returns what it was.</summary>
    public static SandboxDetails Kill(string idOrName) => Act("kill", idOrName);

    private static SandboxDetails Act(string op, string idOrName)
    {
        var folder = RuntimeFolder.Resolve();
        var matches = new List<(string Owner, SandboxDetails Sandbox)>();
        foreach (var owner in Owners(folder))
            foreach (var sandbox in AskOrNothing(owner, new RegistryRequest("list")))
                if (sandbox.Id == idOrName || sandbox.Name == idOrName) matches.Add((owner, sandbox));
        // An id is unique; a name is a label several sandboxes may share.
        if (matches.Count(m => m.Sandbox.Id == idOrName) == 1) matches.RemoveAll(m => m.Sandbox.Id != idOrName);
        return matches switch
        {
            [] => throw new RegistryException($"no running sandbox has the id or name '{idOrName}' (sandlock ps lists them)"),
            [var (owner, sandbox)] => Ask(owner, new RegistryRequest(op, sandbox.Id)).SingleOrDefault()
                ?? throw new RegistryException($"sandbox {sandbox.Id} ('{idOrName}') ended before it could be {(op == "kill" ? "killed" : "inspected")}"),
            _ => throw new RegistryException($"the name '{idOrName}' matches {matches.Count} running sandboxes: "
                + string.Join(", ", matches.Select(m => $"{m.Sandbox.Id} (pid {m.Sandbox.Pid})")) + "; give one of their ids"),
        };
    }

    /// <summary>The sockets of the live owners in <paramref name="folder"/>; dead owners' entries are removed on the way.</summary>
    internal static List<string> Owners(string folder)
    {
        var owners = new List<string>();
        foreach (var path in Directory.EnumerateFiles(folder))
        {
            if (RegistryFiles.OfLockFile(path) is not { } files) continue;
            var fd = Libc.Open(path, Libc.O_RDWR | Libc.O_CLOEXEC | Libc.O_NOFOLLOW);
            if (fd < 0) continue;
            try
            {
                var part = path.EndsWith(RegistryFiles.PartSuffix, StringComparison.Ordinal);
                // A free lock: its holder is gone, however it died. A .part lock may be free for a moment while its
                // owner is between creating and locking it: that one is gone only when its process is.
                if (FileLock.TryLockExclusive(fd))
                {
                    if (!part || !files.OwnerAlive) files.Remove();
                }
                else if (!part && File.Exists(files.Socket)) owners.Add(files.Socket);
            }
            finally
            {
                Libc.Close(fd);
            }
        }
        return owners;
    }

    private static IReadOnlyList<SandboxDetails> AskOrNothing(string owner, RegistryRequest request)
    {
        try { return Ask(owner, request); }
        // An owner that cannot answer now (ending, or stuck) is left out rather than failing the whole list.
        catch (RegistryException) { return []; }
    }

    /// <summary>Sends one request to one owner; a refusing socket's entry is removed as dead.</summary>
    internal static IReadOnlyList<SandboxDetails> Ask(string owner, RegistryRequest request)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
        {
            SendTimeout = (int)OwnerPatience.TotalMilliseconds,
            ReceiveTimeout = (int)OwnerPatience.TotalMilliseconds,
        };
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(owner));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            if (RegistryFiles.OfLockFile(Path.ChangeExtension(owner, RegistryFiles.LockSuffix)) is { } files) files.Remove();
            throw new RegistryException($"{owner}: the owner does not answer (removed)");
        }
        catch (SocketException e)
        {
            throw new RegistryException($"{owner}: {e.Message}");
        }
        if (PeerCredentials.Of(socket) is not { } peer || peer.Uid != SystemInfo.EffectiveUserId())
            throw new RegistryException($"{owner}: answered by another user's process");
        try
        {
            socket.Send([.. JsonSerializer.SerializeToUtf8Bytes(request, RegistryJson.Default.RegistryRequest), (byte)'\n']);
            using var answer = new MemoryStream();
            var buffer = new byte[16384];
            int n;
            while ((n = socket.Receive(buffer)) > 0) answer.Write(buffer, 0, n);
            var reply = JsonSerializer.Deserialize(answer.GetBuffer().AsSpan(0, (int)answer.Length), RegistryJson.Default.RegistryReply)
                ?? throw new RegistryException($"{owner}: empty answer");
            return reply.Error is { } error ? throw new RegistryException($"{owner}: {error}") : reply.Sandboxes ?? [];
        }
        catch (Exception e) when (e is SocketException or JsonException)
        {
            throw new RegistryException($"{owner}: {e.Message}");
        }
    }
}
