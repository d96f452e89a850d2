using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Sandlock.Testing.Protocol;

/// <summary>
/// The protocol's JSON, read and written field by field with System.Text.Json's reader and writer. Not the
/// serializer: the converters it makes at first use for these records (generic code over our types, which no
/// ReadyToRun image holds) cost every fresh child about 45 ms of CPU before its first test, an eighth of the child.
/// The names are the records' property names; a field the reader does not know is skipped.
/// </summary>
internal static class ProtocolJson
{
    public const string RequestFileName = "request.json";
    public const string ResultFileName = "result.json";

    private delegate T ValueReader<out T>(ref Utf8JsonReader reader);

    public static void Write(string path, ChildTestRequest request) => WriteFile(path, Json(w => WriteRequest(w, request)));

    public static void Write(string path, ChildRunReport report) => WriteFile(path, Json(w => WriteReport(w, report)));

    public static ChildTestRequest ReadRequest(string path) => Parse(File.ReadAllBytes(path), ReadRequest);

    public static ChildRunReport ReadReport(string path) => Parse(File.ReadAllBytes(path), ReadReport);

    /// <summary>One message as one line: the writer escapes every control character, so no newline is inside.</summary>
    public static string Line(SharedChildMessage message) => Encoding.UTF8.GetString(Json(w => WriteMessage(w, message)));

    public static SharedChildMessage ParseLine(string line) => Parse(Encoding.UTF8.GetBytes(line), ReadMessage);

    private static void WriteFile(string path, byte[] json)
    {
        // Written beside and renamed so that a reader never sees half a file.
        var partial = path + ".partial";
        File.WriteAllBytes(partial, json);
        File.Move(partial, path, overwrite: true);
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer)) write(writer);
        return buffer.WrittenSpan.ToArray();
    }

    private static T Parse<T>(ReadOnlySpan<byte> json, ValueReader<T> read)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read()) throw new JsonException("an empty protocol message");
        var value = read(ref reader);
        // The reader refuses anything but white space after the one value, once asked for more.
        reader.Read();
        return value;
    }

    private static void WriteMessage(Utf8JsonWriter w, SharedChildMessage message)
    {
        w.WriteStartObject();
        w.WriteString(nameof(SharedChildMessage.Kind), message.Kind);
        if (message.Tests is { } tests)
        {
            w.WriteStartArray(nameof(SharedChildMessage.Tests));
            foreach (var test in tests)
            {
                w.WriteStartObject();
                w.WritePropertyName(nameof(SharedChildTest.Request));
                WriteRequest(w, test.Request);
                w.WriteNumber(nameof(SharedChildTest.Seed), test.Seed);
                w.WriteString(nameof(SharedChildTest.TempDirectory), test.TempDirectory);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (message.Report is { } report)
        {
            w.WritePropertyName(nameof(SharedChildMessage.Report));
            WriteReport(w, report);
        }
        w.WriteEndObject();
    }

    private static SharedChildMessage ReadMessage(ref Utf8JsonReader r)
    {
        StartObject(ref r);
        string? kind = null;
        IReadOnlyList<SharedChildTest>? tests = null;
        ChildRunReport? report = null;
        while (NextProperty(ref r, out var name))
            switch (name)
            {
                case nameof(SharedChildMessage.Kind): kind = r.GetString(); break;
                case nameof(SharedChildMessage.Tests): tests = ReadList(ref r, ReadTest); break;
                case nameof(SharedChildMessage.Report): report = r.TokenType == JsonTokenType.Null ? null : ReadReport(ref r); break;
                default: r.Skip(); break;
            }
        return new SharedChildMessage(Required(kind, nameof(SharedChildMessage.Kind))) { Tests = tests, Report = report };
    }

    private static SharedChildTest ReadTest(ref Utf8JsonReader r)
    {
        StartObject(ref r);
        ChildTestRequest? request = null;
        ulong? seed = null;
        string? temp = null;
        while (NextProperty(ref r, out var name))
            switch (name)
            {
                case nameof(SharedChildTest.Request): request = ReadRequest(ref r); break;
                case nameof(SharedChildTest.Seed): seed = r.GetUInt64(); break;
                case nameof(SharedChildTest.TempDirectory): temp = r.GetString(); break;
                default: r.Skip(); break;
            }
        return new SharedChildTest(Required(request, nameof(SharedChildTest.Request)), RequiredValue(seed, nameof(SharedChildTest.Seed)),
            Required(temp, nameof(SharedChildTest.TempDirectory)));
    }

    private static void WriteRequest(Utf8JsonWriter w, ChildTestRequest request)
    {
        w.WriteStartObject();
        w.WriteString(nameof(ChildTestRequest.RunnerType), request.RunnerType);
        w.WriteString(nameof(ChildTestRequest.AssemblyPath), request.AssemblyPath);
        w.WriteString(nameof(ChildTestRequest.TestId), request.TestId);
        w.WriteStartObject(nameof(ChildTestRequest.FrameworkSettings));
        foreach (var (key, value) in request.FrameworkSettings) w.WriteString(key, value);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static ChildTestRequest ReadRequest(ref Utf8JsonReader r)
    {
        StartObject(ref r);
        string? runner = null, assembly = null, id = null;
        var settings = new Dictionary<string, string>();
        while (NextProperty(ref r, out var name))
            switch (name)
            {
                case nameof(ChildTestRequest.RunnerType): runner = r.GetString(); break;
                case nameof(ChildTestRequest.AssemblyPath): assembly = r.GetString(); break;
                case nameof(ChildTestRequest.TestId): id = r.GetString(); break;
                case nameof(ChildTestRequest.FrameworkSettings):
                    StartObject(ref r);
                    while (NextProperty(ref r, out var key)) settings[key] = r.GetString() ?? "";
                    break;
                default: r.Skip(); break;
            }
        return new ChildTestRequest(Required(runner, nameof(ChildTestRequest.RunnerType)), Required(assembly, nameof(ChildTestRequest.AssemblyPath)),
            Required(id, nameof(ChildTestRequest.TestId)), settings);
    }

    private static void WriteReport(Utf8JsonWriter w, ChildRunReport report)
    {
        w.WriteStartObject();
        w.WriteStartArray(nameof(ChildRunReport.Tests));
        foreach (var test in report.Tests) WriteResult(w, test);
        w.WriteEndArray();
        w.WriteString(nameof(ChildRunReport.HostError), report.HostError);
        w.WriteEndObject();
    }

    private static ChildRunReport ReadReport(ref Utf8JsonReader r)
    {
        StartObject(ref r);
        IReadOnlyList<ChildTestResult>? tests = null;
        string? hostError = null;
        while (NextProperty(ref r, out var name))
            switch (name)
            {
                case nameof(ChildRunReport.Tests): tests = ReadList(ref r, ReadResult); break;
                case nameof(ChildRunReport.HostError): hostError = r.GetString(); break;
                default: r.Skip(); break;
            }
        return new ChildRunReport(tests ?? [], hostError);
    }

    private static void WriteResult(Utf8JsonWriter w, ChildTestResult result)
    {
        w.WriteStartObject();
        w.WriteString(nameof(ChildTestResult.DisplayName), result.DisplayName);
        w.WriteString(nameof(ChildTestResult.Outcome), OutcomeName(result.Outcome));
        w.WriteString(nameof(ChildTestResult.Reason), result.Reason);
        w.WriteStartArray(nameof(ChildTestResult.Failures));
        foreach (var failure in result.Failures)
        {
            w.WriteStartObject();
            w.WriteString(nameof(TestFailureDetail.ExceptionType), failure.ExceptionType);
            w.WriteString(nameof(TestFailureDetail.Message), failure.Message);
            w.WriteString(nameof(TestFailureDetail.StackTrace), failure.StackTrace);
            w.WriteNumber(nameof(TestFailureDetail.ParentIndex), failure.ParentIndex);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteString(nameof(ChildTestResult.Output), result.Output);
        w.WriteNumber(nameof(ChildTestResult.DurationSeconds), result.DurationSeconds);
        w.WriteString(nameof(ChildTestResult.FrameworkOutcome), result.FrameworkOutcome);
        w.WriteEndObject();
    }

    private static ChildTestResult ReadResult(ref Utf8JsonReader r)
    {
        StartObject(ref r);
        string? displayName = null, reason = null, output = null, frameworkOutcome = null;
        TestOutcome? outcome = null;
        IReadOnlyList<TestFailureDetail>? failures = null;
        double duration = 0;
        while (NextProperty(ref r, out var name))
            switch (name)
            {
                case nameof(ChildTestResult.DisplayName): displayName = r.GetString(); break;
                case nameof(ChildTestResult.Outcome): outcome = ParseOutcome(r.GetString()); break;
                case nameof(ChildTestResult.Reason): reason = r.GetString(); break;
                case nameof(ChildTestResult.Failures): failures = ReadList(ref r, ReadFailure); break;
                case nameof(ChildTestResult.Output): output = r.GetString(); break;
                case nameof(ChildTestResult.DurationSeconds): duration = r.GetDouble(); break;
                case nameof(ChildTestResult.FrameworkOutcome): frameworkOutcome = r.GetString(); break;
                default: r.Skip(); break;
            }
        return new ChildTestResult(displayName, RequiredValue(outcome, nameof(ChildTestResult.Outcome)), reason, failures ?? [], output ?? "", duration)
        {
            FrameworkOutcome = frameworkOutcome,
        };
    }

    private static TestFailureDetail ReadFailure(ref Utf8JsonReader r)
    {
        StartObject(ref r);
        string? type = null, message = null, stackTrace = null;
        var parent = -1;
        while (NextProperty(ref r, out var name))
            switch (name)
            {
                case nameof(TestFailureDetail.ExceptionType): type = r.GetString(); break;
                case nameof(TestFailureDetail.Message): message = r.GetString(); break;
                case nameof(TestFailureDetail.StackTrace): stackTrace = r.GetString(); break;
                case nameof(TestFailureDetail.ParentIndex): parent = r.GetInt32(); break;
                default: r.Skip(); break;
            }
        return new TestFailureDetail(Required(type, nameof(TestFailureDetail.ExceptionType)), message ?? "", stackTrace, parent);
    }

    private static string OutcomeName(TestOutcome outcome) => outcome switch
    {
        TestOutcome.Passed => nameof(TestOutcome.Passed),
        TestOutcome.Failed => nameof(TestOutcome.Failed),
        TestOutcome.Skipped => nameof(TestOutcome.Skipped),
        TestOutcome.Inconclusive => nameof(TestOutcome.Inconclusive),
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "not a test outcome"),
    };

    private static TestOutcome ParseOutcome(string? name) => name switch
    {
        nameof(TestOutcome.Passed) => TestOutcome.Passed,
        nameof(TestOutcome.Failed) => TestOutcome.Failed,
        nameof(TestOutcome.Skipped) => TestOutcome.Skipped,
        nameof(TestOutcome.Inconclusive) => TestOutcome.Inconclusive,
        _ => throw new JsonException($"'{name}' is not a test outcome (Passed, Failed, Skipped or Inconclusive)"),
    };

    private static List<T>? ReadList<T>(ref Utf8JsonReader r, ValueReader<T> item)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        if (r.TokenType != JsonTokenType.StartArray) throw new JsonException($"expected an array at byte {r.TokenStartIndex}, found {r.TokenType}");
        var list = new List<T>();
        while (Advance(ref r) != JsonTokenType.EndArray) list.Add(item(ref r));
        return list;
    }

    private static void StartObject(ref Utf8JsonReader r)
    {
        if (r.TokenType != JsonTokenType.StartObject) throw new JsonException($"expected an object at byte {r.TokenStartIndex}, found {r.TokenType}");
    }

    /// <summary>Moves to the next property's value; false at the end of the object.</summary>
    private static bool NextProperty(ref Utf8JsonReader r, out string name)
    {
        name = "";
        if (Advance(ref r) == JsonTokenType.EndObject) return false;
        name = r.GetString()!;
        Advance(ref r);
        return true;
    }

    private static JsonTokenType Advance(ref Utf8JsonReader r) =>
        r.Read() ? r.TokenType : throw new JsonException("the protocol message ends too early");

    private static T Required<T>(T? value, string name) where T : class =>
        value ?? throw new JsonException($"the protocol message has no {name}");

    private static T RequiredValue<T>(T? value, string name) where T : struct =>
        value ?? throw new JsonException($"the protocol message has no {name}");
}
