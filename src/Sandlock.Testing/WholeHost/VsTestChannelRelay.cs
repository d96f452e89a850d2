using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sandlock.Lifecycle;

namespace Sandlock.Testing.WholeHost;

/// <summary>
/// Sits between VSTest's runner and the confined testhost on the loopback socket the runner opened. Bytes from the
/// runner pass unchanged; each message from the testhost (a 7-bit length prefix and UTF-8 JSON, as BinaryWriter
/// writes strings) passes too, except that a failed result whose message shows the sandbox refusing a file or a
/// connection gets the explanation the other front doors give. The testhost cannot say it: it does not know the policy.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class VsTestChannelRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _runner;
    private readonly Func<string, string?> _explain;

    public VsTestChannelRelay(IPEndPoint runner, Func<string, string?> explain)
    {
        _runner = runner;
        _explain = explain;
        _listener.Start(1);
    }

    /// <summary>The port the testhost is told to connect to.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var host = await _listener.AcceptTcpClientAsync(cancellationToken).ConfigureAwait(false);
        _listener.Stop();
        using var runner = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        host.NoDelay = true;
        await runner.ConnectAsync(_runner, cancellationToken).ConfigureAwait(false);
        var toHost = PumpAsync(runner.GetStream(), host.GetStream(), cancellationToken);
        var toRunner = RelayMessagesAsync(host.GetStream(), runner.GetStream(), cancellationToken);
        // Either side closing ends the session: close both, so neither waits on a peer that is gone.
        await Task.WhenAny(toHost, toRunner).ConfigureAwait(false);
        host.Close();
        runner.Close();
        await Task.WhenAll(toHost, toRunner).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }

    private static async Task PumpAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            await to.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
    }

    private async Task RelayMessagesAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var reader = new BufferedStream(from, 64 * 1024);
        while (await ReadLengthAsync(reader, cancellationToken).ConfigureAwait(false) is { } length)
        {
            var payload = new byte[length];
            await reader.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
            var rewritten = Rewrite(payload);
            var frame = new MemoryStream(rewritten.Length + 5);
            WriteLength(frame, rewritten.Length);
            frame.Write(rewritten);
            await to.WriteAsync(frame.GetBuffer().AsMemory(0, (int)frame.Length), cancellationToken).ConfigureAwait(false);
            await to.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private byte[] Rewrite(byte[] payload)
    {
        var text = Encoding.UTF8.GetString(payload);
        // Only results that fail with a refusal in their words are touched; everything else passes byte for byte.
        if (!text.Contains("denied", StringComparison.Ordinal) || !text.Contains("NewTestResults", StringComparison.Ordinal)) return payload;
        if (JsonNode.Parse(text) is not JsonObject message) return payload;
        var changed = false;
        foreach (var array in ResultLists(message))
        {
            foreach (var result in array.OfType<JsonObject>())
            {
                // TestOutcome.Failed is 2 in VSTest's object model.
                if (result["Outcome"]?.GetValueKind() != System.Text.Json.JsonValueKind.Number || (int)result["Outcome"]! != 2) continue;
                if (result["ErrorMessage"]?.GetValue<string>() is not { } error || _explain(error) is not { } explanation) continue;
                result["ErrorMessage"] = $"{error}\nSandlock: {explanation}";
                changed = true;
            }
        }
        return changed ? Encoding.UTF8.GetBytes(message.ToJsonString()) : payload;
    }

    /// <summary>
    /// Every NewTestResults list in a message, wherever it lies: a testhost sends results during the run in
    /// TestExecution.StatsChange (the payload is the list's parent) and the rest in TestExecution.Completed (under
    /// LastRunTests); which of the two carries a result depends on timing, so a path of one alone missed some.
    /// </summary>
    private static IEnumerable<JsonArray> ResultLists(JsonNode node)
    {
        if (node is JsonObject container)
        {
            foreach (var (name, value) in container)
            {
                if (value is null) continue;
                if (name == "NewTestResults" && value is JsonArray results) yield return results;
                else foreach (var inner in ResultLists(value)) yield return inner;
            }
        }
        else if (node is JsonArray items)
        {
            foreach (var item in items)
                if (item is not null) foreach (var inner in ResultLists(item)) yield return inner;
        }
    }

    private static async Task<int?> ReadLengthAsync(Stream stream, CancellationToken cancellationToken)
    {
        var value = 0;
        var one = new byte[1];
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (await stream.ReadAsync(one, cancellationToken).ConfigureAwait(false) == 0)
                return shift == 0 ? null : throw new EndOfStreamException("the testhost closed its channel inside a message length");
            value |= (one[0] & 0x7f) << shift;
            if ((one[0] & 0x80) == 0) return value;
        }
        throw new InvalidDataException("the testhost sent a malformed message length");
    }

    private static void WriteLength(Stream stream, int length)
    {
        var value = (uint)length;
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        stream.WriteByte((byte)value);
    }

    public void Dispose() => _listener.Dispose();
}
