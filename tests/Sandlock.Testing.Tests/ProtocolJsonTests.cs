using System.Text.Json;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Tests;

/// <summary>
/// The parent-child protocol's JSON, written and read field by field: every field survives a round trip, control
/// and non-character code points included (a test's name or output may hold any), a message stays one line, and a
/// malformed one names what is wrong.
/// </summary>
public sealed class ProtocolJsonTests
{
    private const string Awkward = "tab\t nl\n unit\u001f nonchar\uffff quote\" é 漢 <&>";

    private static ChildTestRequest Request(string id) =>
        new("Sandlock.Testing.Xunit.Child.XunitChildTestRunner, Sandlock.Testing.Xunit", "/src/T/bin/T.dll", id,
            new Dictionary<string, string> { ["seed"] = "42", [Awkward] = Awkward });

    private static ChildTestResult Failed() =>
        new ChildTestResult(Awkward, TestOutcome.Failed, null,
            [new TestFailureDetail("Xunit.Sdk.EqualException", Awkward, "at T.M()"), new TestFailureDetail("System.IO.IOException", "inner", null, 0)],
            Awkward, 0.125)
        { FrameworkOutcome = "Error" };

    [Fact]
    public void A_run_message_keeps_every_test_field_on_one_line()
    {
        var sent = new SharedChildMessage(SharedChildMessage.Run)
        {
            Tests = [new SharedChildTest(Request(Awkward), ulong.MaxValue, "/tmp/t-1"), new SharedChildTest(Request("second"), 7, "/tmp/t-2")],
        };

        var line = ProtocolJson.Line(sent);
        var read = ProtocolJson.ParseLine(line);

        Assert.DoesNotContain('\n', line);
        Assert.Equal(SharedChildMessage.Run, read.Kind);
        Assert.Null(read.Report);
        Assert.Equal(2, read.Tests!.Count);
        var first = read.Tests[0];
        Assert.Equal(ulong.MaxValue, first.Seed);
        Assert.Equal("/tmp/t-1", first.TempDirectory);
        Assert.Equal(Awkward, first.Request.TestId);
        Assert.Equal(sent.Tests[0].Request.RunnerType, first.Request.RunnerType);
        Assert.Equal(sent.Tests[0].Request.AssemblyPath, first.Request.AssemblyPath);
        Assert.Equal(sent.Tests[0].Request.FrameworkSettings, first.Request.FrameworkSettings);
        Assert.Equal(7UL, read.Tests[1].Seed);
    }

    [Fact]
    public void A_done_message_keeps_every_result_field()
    {
        var report = new ChildRunReport([Failed(), new ChildTestResult(null, TestOutcome.Skipped, "not today", [], "", 0)], HostError: null);

        var read = ProtocolJson.ParseLine(ProtocolJson.Line(new SharedChildMessage(SharedChildMessage.Done) { Report = report }));

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
    public void A_request_and_a_report_file_round_trip()
    {
        var folder = Directory.CreateTempSubdirectory("sandlock-protocol-").FullName;
        try
        {
            var requestPath = Path.Combine(folder, ProtocolJson.RequestFileName);
            var reportPath = Path.Combine(folder, ProtocolJson.ResultFileName);
            ProtocolJson.Write(requestPath, Request("T.M"));
            ProtocolJson.Write(reportPath, new ChildRunReport([], "the host could not load T.dll"));

            Assert.Equal("T.M", ProtocolJson.ReadRequest(requestPath).TestId);
            Assert.Equal(Awkward, ProtocolJson.ReadRequest(requestPath).FrameworkSettings[Awkward]);
            Assert.Equal(("the host could not load T.dll", 0), (ProtocolJson.ReadReport(reportPath).HostError, ProtocolJson.ReadReport(reportPath).Tests.Count));
            Assert.Equal([ProtocolJson.RequestFileName, ProtocolJson.ResultFileName], Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).Order().ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_field_the_reader_does_not_know_is_skipped()
    {
        var read = ProtocolJson.ParseLine("""{"Kind":"done","Later":{"a":[1,{"b":2}]},"Report":{"Tests":[],"HostError":"x","More":true}}""");

        Assert.Equal(("done", "x"), (read.Kind, read.Report!.HostError));
    }

    [Theory]
    [InlineData("""{"Tests":[]}""", "no Kind")]
    [InlineData("""{"Kind":"done","Report":{"Tests":[{"DisplayName":"T","Outcome":"Sideways"}]}}""", "'Sideways' is not a test outcome")]
    [InlineData("""{"Kind":"run","Tests":{}}""", "expected an array")]
    [InlineData("""{"Kind":"run","Tests":[{"Request":{"RunnerType":"R","AssemblyPath":"A","TestId":"I"},"TempDirectory":"/t"}]}""", "no Seed")]
    public void A_malformed_message_names_what_is_wrong(string line, string expected)
    {
        var error = Assert.Throws<JsonException>(() => ProtocolJson.ParseLine(line));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_cut_short_or_followed_by_more_is_refused()
    {
        Assert.ThrowsAny<JsonException>(() => ProtocolJson.ParseLine("""{"Kind":"run","Tests":[{"Seed":1"""));
        Assert.ThrowsAny<JsonException>(() => ProtocolJson.ParseLine("""{"Kind":"run"} {}"""));
        Assert.ThrowsAny<JsonException>(() => ProtocolJson.ParseLine(""));
    }
}
