using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;
using Sandlock.Supervision.Network;

namespace Sandlock.Supervision.Http;

/// <summary>
/// One sandbox's HTTP proxy: a loopback listener its intercepted connects are pointed at. Each connect is expected
/// by the address the sandbox's socket has (known once the supervisor has connected it), which tells the proxy
/// where the sandbox meant to go; connections nobody expected are closed.
/// </summary>
internal sealed class HttpProxy : IDisposable
{
    private static readonly TimeSpan ExpectWait = TimeSpan.FromSeconds(10);

    private readonly HttpInterception _interception;
    private readonly SupervisedSession _session;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    // Wakes the threads that wait in a socket copy of a body (they cannot wait on the token).
    private readonly StopSignal _stopSignal = new();
    private readonly ConcurrentDictionary<IPEndPoint, TaskCompletionSource<Intercepted>> _expected = new();
    private readonly ConcurrentDictionary<Socket, TaskCompletionSource> _open = new();
    // At the end the sandbox's sockets are closed, so its connections finish at once; what they refuse then (a TLS
    // handshake the client gave up) still reaches the result. One stuck on a server is not waited for longer.
    private static readonly TimeSpan FinishWait = TimeSpan.FromMilliseconds(250);
    private readonly HttpMessageInvoker _upstream;

    /// <summary>Where the sandbox meant to connect, and which process did.</summary>
    public sealed record Intercepted(IPAddress Address, ushort Port, int Pid);

    public HttpProxy(HttpInterception interception, SupervisedSession session)
    {
        _interception = interception;
        _session = session;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(512);
        }
        catch
        {
            _listener.Dispose();
            _stopSignal.Dispose();
            throw;
        }
        Port = (ushort)((IPEndPoint)_listener.LocalEndPoint!).Port;
        _upstream = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ConnectTimeout = TimeSpan.FromSeconds(30),
        });
        _ = AcceptAsync();
    }

    public ushort Port { get; }

    /// <summary>The proxy's address in the family of the sandbox's socket (an IPv6 socket gets the IPv4-mapped loopback).</summary>
    public byte[] AddressFor(byte[] original)
    {
        var family = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(original);
        var address = new byte[family == SocketCalls.AF_INET6 ? 28 : 16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt16LittleEndian(address, family);
        SocketAddressBytes.SetPort(address, Port);
        if (family == SocketCalls.AF_INET6) IPAddress.Loopback.MapToIPv6().GetAddressBytes().CopyTo(address, 8);
        else IPAddress.Loopback.GetAddressBytes().CopyTo(address, 4);
        return address;
    }

    /// <summary>Called once the supervisor has connected the sandbox's socket to the proxy.</summary>
    public void Expect(SafeFileHandle socket, IPAddress address, ushort port, int pid)
    {
        if (SocketCalls.LocalAddress(socket, out _) is not { } local || !SocketAddressBytes.TryParse(local, out var ip, out var localPort)) return;
        _expected.GetOrAdd(new IPEndPoint(ip, localPort), _ => new TaskCompletionSource<Intercepted>(TaskCreationOptions.RunContinuationsAsynchronously))
            .TrySetResult(new Intercepted(address, port, pid));
    }

    /// <summary>Where a connection from <paramref name="client"/> (the sandbox socket's own address) was meant to go.</summary>
    public Intercepted? DestinationOf(IPEndPoint client) =>
        _expected.TryGetValue(client, out var expected) && expected.Task.IsCompletedSuccessfully ? expected.Task.Result : null;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException) { return; }
            _ = ServeAsync(client);
        }
    }

    private async Task ServeAsync(Socket client)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _open[client] = done;
        var peer = (IPEndPoint)client.RemoteEndPoint!;
        var key = new IPEndPoint(NetworkRules.Normalize(peer.Address), peer.Port);
        var expected = _expected.GetOrAdd(key, _ => new TaskCompletionSource<Intercepted>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            client.NoDelay = true;
            Intercepted target;
            try { target = await expected.Task.WaitAsync(ExpectWait, _stop.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException) { return; }
            await new ProxiedConnection(_interception, _session, _upstream, client, target, _stopSignal).RunAsync(_stop.Token).ConfigureAwait(false);
            await LingeringClose.RunAsync(client, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The sandbox or the server went away mid-request, or sent what cannot be forwarded: the connection
            // closes, which is all either side can be told at this point.
        }
        finally
        {
            _expected.TryRemove(new KeyValuePair<IPEndPoint, TaskCompletionSource<Intercepted>>(key, expected));
            _open.TryRemove(client, out _);
            client.Dispose();
            done.TrySetResult();
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        Task.WaitAll([.. _open.Values.Select(d => d.Task)], FinishWait);
        _stop.Cancel();
        _stopSignal.Set();
        foreach (var socket in _open.Keys) socket.Dispose();
        _upstream.Dispose();
        _stopSignal.Dispose();
    }
}
