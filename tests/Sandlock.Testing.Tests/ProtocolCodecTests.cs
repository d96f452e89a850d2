using System.Buffers.Binary;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Tests;

/// <summary>
/// The parent-child protocol's frames and files: every field survives a round trip, any string included (control and
/// non-character code points, a lone surrogate: a test's name or output may hold any), frames follow one another on
/// a stream, and a broken one is refused naming what is wrong.
/// </summary>
public sealed class ProtocolCodecTests
{
    private const string Awkward = "tab\t nl\n unit\u001f nonchar\uffff lone\ud800 quote\" é 漢 <&>";

    private static ChildTestRequest Request(string id) =>
        new("Sandlock.Testing.Xunit.Child.XunitChildTestRunner, Sandlock.Testing.Xunit", "/src/T/bin/T.dll", id,
            new Dictionary<string, string> { ["seed"] = "42", [Awkward] = Awkward });

    private static ChildTestResult Failed() =>
        new ChildTestResult(Awkward, TestOutcome.Failed, null,
            [new TestFailureDetail("Xunit.Sdk.EqualException", Awkward, "at T.M()"), new TestFailureDetail("System.IO.IOException", "inner", null, 0)],
            Awkward, 0.125)
        { FrameworkOutcome = "Error" };

    private static SharedChildMessage RunOfTwo() => new(SharedChildMessage.Run)
    {
        Tests = [new SharedChildTest(Request(Awkward), ulong.MaxValue, "/tmp/t-1"), new SharedChildTest(Request("second"), 7, "/tmp/t-2")],
    };

    private static SharedChildMessage Done(ChildRunReport report) => new(SharedChildMessage.Done) { Report = report };

    [Fact]
    public void A_run_message_keeps_every_test_field()
    {
        var sent = RunOfTwo();

        var read = ProtocolCodec.ReadFrame(new MemoryStream(ProtocolCodec.Frame(sent)))!;

        Assert.Equal(SharedChildMessage.Run, read.Kind);
        Assert.Null(read.Report);
        Assert.Equal(2, read.Tests!.Count);
        var first = read.Tests[0];
        Assert.Equal(ulong.MaxValue, first.Seed);
        Assert.Equal("/tmp/t-1", first.TempDirectory);
        Assert.Equal(Awkward, first.Request.TestId);
        Assert.Equal(sent.Tests![0].Request.RunnerType, first.Request.RunnerType);
        Assert.Equal(sent.Tests[0].Request.AssemblyPath, first.Request.AssemblyPath);
        Assert.Equal(sent.Tests[0].Request.FrameworkSettings, first.Request.FrameworkSettings);
        Assert.Equal(7UL, read.Tests[1].Seed);
    }

    [Fact]
    public void A_done_message_keeps_every_result_field()
    {
        var report = new ChildRunReport([Failed(), new ChildTestResult(null, TestOutcome.Skipped, "not today", [], "", 0)], HostError: null);

        var read = ProtocolCodec.ReadFrame(new MemoryStream(ProtocolCodec.Frame(Done(report))))!;

        Assert.Equal(SharedChildMessage.Done, read.Kind);
        Assert.Null(read.Tests);
        var results = read.Report!.Tests;
        Assert.Null(read.Report.HostError);
        Assert.Equal(2, results.Count);
        var failed = results[0];
        Assert.Equal((Awkward, TestOutcome.Failed, (string?)null, Awkward, 0.125, "Error"),
            (failed.DisplayName, failed.Outcome, failed.Reason, failed.Output, failed.DurationSeconds, failed.FrameworkOutcome));
        Assert.Equal(Failed().Failures, failed.Failures);
        Assert.Equal((null, TestOutcome.Skipped, "not today", 0), (results[1].DisplayName, results[1].Outcome, results[1].Reason, results[1].Failures.Count));
    }

    [Fact]
    public async Task Frames_follow_one_another_and_the_stream_ends_between_them()
    {
        var stream = new MemoryStream([.. ProtocolCodec.Frame(RunOfTwo()), .. ProtocolCodec.Frame(Done(new ChildRunReport([], "x")))]);

        var first = await ProtocolCodec.ReadFrameAsync(stream, CancellationToken.None);
        var second = await ProtocolCodec.ReadFrameAsync(stream, CancellationToken.None);
        var end = await ProtocolCodec.ReadFrameAsync(stream, CancellationToken.None);

        Assert.Equal((SharedChildMessage.Run, 2), (first!.Kind, first.Tests!.Count));
        Assert.Equal((SharedChildMessage.Done, "x"), (second!.Kind, second.Report!.HostError));
        Assert.Null(end);
    }

    [Fact]
    public void A_request_and_a_report_file_round_trip()
    {
        var folder = Directory.CreateTempSubdirectory("sandlock-protocol-").FullName;
        try
        {
            var requestPath = Path.Combine(folder, ProtocolCodec.RequestFileName);
            var reportPath = Path.Combine(folder, ProtocolCodec.ResultFileName);
            ProtocolCodec.Write(requestPath, Request("T.M"));
            ProtocolCodec.Write(reportPath, new ChildRunReport([], "the host could not load T.dll"));

            Assert.Equal("T.M", ProtocolCodec.ReadRequest(requestPath).TestId);
            Assert.Equal(Awkward, ProtocolCodec.ReadRequest(requestPath).FrameworkSettings[Awkward]);
            Assert.Equal(("the host could not load T.dll", 0), (ProtocolCodec.ReadReport(reportPath).HostError, ProtocolCodec.ReadReport(reportPath).Tests.Count));
            Assert.Equal([ProtocolCodec.RequestFileName, ProtocolCodec.ResultFileName], Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).Order().ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_malformed_body_names_what_is_wrong()
    {
        var done = ProtocolCodec.Frame(Done(new ChildRunReport([Failed()], null)))[sizeof(int)..];
        var badKind = (byte[])done.Clone();
        badKind[0] = 9;
        var badOutcome = (byte[])done.Clone();
        // Kind, no tests (-1), a report: one result, whose display name is there: its outcome follows the name.
        var outcomeAt = 1 + 4 + 1 + 4 + 1 + 4 + Awkward.Length * sizeof(char);
        badOutcome[outcomeAt] = 7;
        var hugeCount = (byte[])done.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(hugeCount.AsSpan(1 + 4 + 1), int.MaxValue);

        Assert.Contains("9 is not a protocol message kind", Assert.Throws<InvalidDataException>(() => ProtocolCodec.ParseMessage(badKind)).Message, StringComparison.Ordinal);
        Assert.Contains("7 is not a test outcome", Assert.Throws<InvalidDataException>(() => ProtocolCodec.ParseMessage(badOutcome)).Message, StringComparison.Ordinal);
        Assert.Contains($"a count of {int.MaxValue}", Assert.Throws<InvalidDataException>(() => ProtocolCodec.ParseMessage(hugeCount)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_cut_short_or_followed_by_more_is_refused()
    {
        var frame = ProtocolCodec.Frame(RunOfTwo());
        var body = frame[sizeof(int)..];

        Assert.Contains("ends too early", Assert.Throws<InvalidDataException>(() => ProtocolCodec.ParseMessage(body[..^3])).Message, StringComparison.Ordinal);
        Assert.Contains("2 bytes after", Assert.Throws<InvalidDataException>(() => ProtocolCodec.ParseMessage([.. body, 0, 0])).Message, StringComparison.Ordinal);
        Assert.ThrowsAny<EndOfStreamException>(() => ProtocolCodec.ReadFrame(new MemoryStream(frame[..^1])));
        Assert.Contains("ends inside its length", Assert.Throws<InvalidDataException>(() => ProtocolCodec.ReadFrame(new MemoryStream(frame[..2]))).Message, StringComparison.Ordinal);
        var tooLarge = new byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(tooLarge, ProtocolCodec.MaxFrameBytes + 1);
        Assert.Contains("a protocol frame of", Assert.Throws<InvalidDataException>(() => ProtocolCodec.ReadFrame(new MemoryStream(tooLarge))).Message, StringComparison.Ordinal);
    }
}
