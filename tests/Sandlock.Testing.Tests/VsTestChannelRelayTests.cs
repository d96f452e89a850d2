using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Sandlock.Testing.WholeHost;

namespace Sandlock.Testing.Tests;

/// <summary>
/// The relay between VSTest's runner and a confined testhost, over real loopback sockets: a failed result that shows a
/// refusal is explained in both messages that carry results, and everything else passes unchanged.
/// </summary>
public sealed class VsTestChannelRelayTests
{
    private const string Refused = "System.UnauthorizedAccessException : Access to the path '/secret' is denied.";

    private static string Result(int outcome, string error) =>
        $$"""{"TestCase":{"FullyQualifiedName":"T.M"},"Outcome":{{outcome}},"ErrorMessage":{{JsonValue.Create(error).ToJsonString()}}}""";

    [Fact]
    public async Task A_refused_result_is_explained_in_a_stats_change_and_in_the_completion_and_other_messages_pass_unchanged()
    {
        using var runnerListener = new TcpListener(IPAddress.Loopback, 0);
        runnerListener.Start(1);
        using var relay = new VsTestChannelRelay((IPEndPoint)runnerListener.LocalEndpoint,
            error => error.Contains("denied", StringComparison.Ordinal) ? "the policy refused it" : null);
        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        var relaying = relay.RunAsync(stop.Token);

        using var host = new TcpClient();
        await host.ConnectAsync(IPAddress.Loopback, relay.Port, stop.Token);
        using var runner = await runnerListener.AcceptTcpClientAsync(stop.Token);

        string[] sent =
        [
            """{"MessageType":"TestExecution.GetTestRunnerProcessStartInfo","Payload":"denied but not a result"}""",
            """{"MessageType":"TestExecution.StatsChange","Payload":{"NewTestResults":[""" + Result(2, Refused) + "," + Result(1, "") + "]}}",
            """{"MessageType":"TestExecution.Completed","Payload":{"TestRunCompleteArgs":{},"LastRunTests":{"NewTestResults":["""
                + Result(2, Refused) + "," + Result(2, "Assert.Equal() Failure") + "]}}}",
        ];
        foreach (var message in sent) await WriteFrameAsync(host.GetStream(), message, stop.Token);
        var received = new List<string>();
        for (var i = 0; i < sent.Length; i++) received.Add(await ReadFrameAsync(runner.GetStream(), stop.Token));
        host.Close();
        await relaying;

        Assert.Equal(sent[0], received[0]);
        var during = JsonNode.Parse(received[1])!["Payload"]!["NewTestResults"]!.AsArray();
        Assert.Equal(Refused + "\nSandlock: the policy refused it", (string)during[0]!["ErrorMessage"]!);
        Assert.Equal("", (string)during[1]!["ErrorMessage"]!);
        var last = JsonNode.Parse(received[2])!["Payload"]!["LastRunTests"]!["NewTestResults"]!.AsArray();
        Assert.Equal(Refused + "\nSandlock: the policy refused it", (string)last[0]!["ErrorMessage"]!);
        Assert.Equal("Assert.Equal() Failure", (string)last[1]!["ErrorMessage"]!);
    }

    private static async Task WriteFrameAsync(Stream stream, string message, CancellationToken cancellationToken)
    {
        var payload = Encoding.UTF8.GetBytes(message);
        var frame = new List<byte>();
        var length = (uint)payload.Length;
        while (length >= 0x80) { frame.Add((byte)(length | 0x80)); length >>= 7; }
        frame.Add((byte)length);
        frame.AddRange(payload);
        await stream.WriteAsync(frame.ToArray(), cancellationToken);
    }

    private static async Task<string> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        var length = 0;
        var one = new byte[1];
        for (var shift = 0; ; shift += 7)
        {
            await stream.ReadExactlyAsync(one, cancellationToken);
            length |= (one[0] & 0x7f) << shift;
            if ((one[0] & 0x80) == 0) break;
        }
        var payload = new byte[length];
        await stream.ReadExactlyAsync(payload, cancellationToken);
        return Encoding.UTF8.GetString(payload);
    }
}
