using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Sandlock.Testing.Protocol;

/// <summary>
/// The parent-child protocol as binary frames, read and written with CoreLib's <see cref="BinaryReader"/> and
/// <see cref="BinaryWriter"/>: on the socket each message is a 4-byte little-endian length and that many bytes; a
/// request or report file holds one message body. Both ends run the same Sandlock.Testing, so a body has no field
/// names and no versioning. Not JSON: the child's first parse and write of it (System.Text.Json loaded, its reader
/// and writer and the default encoder made ready) cost each fresh child ~6 ms of CPU, a tenth of what it does for a
/// test. Strings go as their UTF-16 code units, so any .NET string (a lone surrogate in a test's name too) comes back
/// as it was sent.
/// </summary>
internal static class ProtocolCodec
{
    public const string RequestFileName = "request.bin";
    public const string ResultFileName = "result.bin";

    /// <summary>A larger frame is refused before its bytes are read: no message of a test comes near it.</summary>
    public const int MaxFrameBytes = 256 << 20;

    private const byte RunKind = 1, DoneKind = 2;

    public static void Write(string path, ChildTestRequest request) => WriteFile(path, Body(w => WriteRequest(w, request)));

    public static void Write(string path, ChildRunReport report) => WriteFile(path, Body(w => WriteReport(w, report)));

    public static ChildTestRequest ReadRequest(string path) => Parse(File.ReadAllBytes(path), ReadRequest);

    public static ChildRunReport ReadReport(string path) => Parse(File.ReadAllBytes(path), ReadReport);

    /// <summary>The message as one frame: its length, then its body.</summary>
    public static byte[] Frame(SharedChildMessage message)
    {
        var body = Body(w => WriteMessage(w, message));
        var frame = new byte[sizeof(int) + body.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, body.Length);
        body.CopyTo(frame, sizeof(int));
        return frame;
    }

    /// <summary>The next frame's message; null when the stream ends before one starts.</summary>
    public static SharedChildMessage? ReadFrame(Stream stream)
    {
        Span<byte> length = stackalloc byte[sizeof(int)];
        var read = stream.ReadAtLeast(length, length.Length, throwOnEndOfStream: false);
        if (read == 0) return null;
        var body = new byte[BodyLength(length[..read])];
        stream.ReadExactly(body);
        return ParseMessage(body);
    }

    /// <inheritdoc cref="ReadFrame(Stream)"/>
    public static async Task<SharedChildMessage?> ReadFrameAsync(Stream stream, CancellationToken cancellationToken)
    {
        var length = new byte[sizeof(int)];
        var read = await stream.ReadAtLeastAsync(length, length.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0) return null;
        var body = new byte[BodyLength(length.AsSpan(0, read))];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return ParseMessage(body);
    }

    /// <summary>One message body, as <see cref="Frame"/> carries it.</summary>
    public static SharedChildMessage ParseMessage(byte[] body) => Parse(body, ReadMessage);

    private static int BodyLength(ReadOnlySpan<byte> prefix)
    {
        if (prefix.Length < sizeof(int)) throw new InvalidDataException("the protocol frame ends inside its length");
        var length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
        return length is >= 0 and <= MaxFrameBytes
            ? length
            : throw new InvalidDataException($"a protocol frame of {length} bytes (at most {MaxFrameBytes})");
    }

    private static void WriteFile(string path, byte[] body)
    {
        // Written beside and renamed so that a reader never sees half a file.
        var partial = path + ".partial";
        File.WriteAllBytes(partial, body);
        File.Move(partial, path, overwrite: true);
    }

    private static byte[] Body(Action<BinaryWriter> write)
    {
        using var buffer = new MemoryStream(1024);
        using (var writer = new BinaryWriter(buffer)) write(writer);
        return buffer.ToArray();
    }

    private static T Parse<T>(byte[] body, Func<BinaryReader, T> read)
    {
        using var reader = new BinaryReader(new MemoryStream(body, writable: false));
        T value;
        try
        {
            value = read(reader);
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("the protocol message ends too early");
        }
        if (reader.BaseStream.Position != body.Length)
            throw new InvalidDataException($"{body.Length - reader.BaseStream.Position} bytes after the protocol message's end");
        return value;
    }

    private static void WriteMessage(BinaryWriter w, SharedChildMessage message)
    {
        w.Write(message.Kind switch
        {
            SharedChildMessage.Run => RunKind,
            SharedChildMessage.Done => DoneKind,
            _ => throw new ArgumentException($"'{message.Kind}' is not a protocol message kind", nameof(message)),
        });
        WriteList(w, message.Tests, (w, test) =>
        {
            WriteRequest(w, test.Request);
            w.Write(test.Seed);
            WriteString(w, test.TempDirectory);
        });
        w.Write(message.Report is not null);
        if (message.Report is { } report) WriteReport(w, report);
    }

    private static SharedChildMessage ReadMessage(BinaryReader r)
    {
        var kind = r.ReadByte() switch
        {
            RunKind => SharedChildMessage.Run,
            DoneKind => SharedChildMessage.Done,
            var other => throw new InvalidDataException($"{other} is not a protocol message kind ({RunKind}: run, {DoneKind}: done)"),
        };
        var tests = ReadList(r, r => new SharedChildTest(ReadRequest(r), r.ReadUInt64(), ReadString(r)));
        var report = r.ReadBoolean() ? ReadReport(r) : null;
        return new SharedChildMessage(kind) { Tests = tests, Report = report };
    }

    private static void WriteRequest(BinaryWriter w, ChildTestRequest request)
    {
        WriteString(w, request.RunnerType);
        WriteString(w, request.AssemblyPath);
        WriteString(w, request.TestId);
        w.Write(request.FrameworkSettings.Count);
        foreach (var (key, value) in request.FrameworkSettings)
        {
            WriteString(w, key);
            WriteString(w, value);
        }
    }

    private static ChildTestRequest ReadRequest(BinaryReader r)
    {
        var (runner, assembly, id) = (ReadString(r), ReadString(r), ReadString(r));
        var count = Count(r);
        var settings = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++) settings[ReadString(r)] = ReadString(r);
        return new ChildTestRequest(runner, assembly, id, settings);
    }

    private static void WriteReport(BinaryWriter w, ChildRunReport report)
    {
        WriteList(w, report.Tests, WriteResult);
        WriteOptional(w, report.HostError);
    }

    private static ChildRunReport ReadReport(BinaryReader r) => new(ReadList(r, ReadResult) ?? [], ReadOptional(r));

    private static void WriteResult(BinaryWriter w, ChildTestResult result)
    {
        WriteOptional(w, result.DisplayName);
        w.Write((byte)result.Outcome);
        WriteOptional(w, result.Reason);
        WriteList(w, result.Failures, (w, failure) =>
        {
            WriteString(w, failure.ExceptionType);
            WriteString(w, failure.Message);
            WriteOptional(w, failure.StackTrace);
            w.Write(failure.ParentIndex);
        });
        WriteString(w, result.Output);
        w.Write(result.DurationSeconds);
        WriteOptional(w, result.FrameworkOutcome);
    }

    private static ChildTestResult ReadResult(BinaryReader r)
    {
        var displayName = ReadOptional(r);
        var outcome = r.ReadByte() is var value && Enum.IsDefined((TestOutcome)value)
            ? (TestOutcome)value
            : throw new InvalidDataException($"{value} is not a test outcome (0-{(int)TestOutcome.Inconclusive})");
        var reason = ReadOptional(r);
        var failures = ReadList(r, r => new TestFailureDetail(ReadString(r), ReadString(r), ReadOptional(r), r.ReadInt32())) ?? [];
        return new ChildTestResult(displayName, outcome, reason, failures, ReadString(r), r.ReadDouble()) { FrameworkOutcome = ReadOptional(r) };
    }

    // -1 for a list that is not there (null), as distinct from an empty one.
    private static void WriteList<T>(BinaryWriter w, IReadOnlyList<T>? items, Action<BinaryWriter, T> write)
    {
        w.Write(items?.Count ?? -1);
        if (items is null) return;
        foreach (var item in items) write(w, item);
    }

    private static List<T>? ReadList<T>(BinaryReader r, Func<BinaryReader, T> read)
    {
        var count = r.ReadInt32();
        if (count == -1) return null;
        var items = new List<T>(CheckedCount(count, r));
        for (var i = 0; i < count; i++) items.Add(read(r));
        return items;
    }

    private static void WriteOptional(BinaryWriter w, string? value)
    {
        w.Write(value is not null);
        if (value is not null) WriteString(w, value);
    }

    private static string? ReadOptional(BinaryReader r) => r.ReadBoolean() ? ReadString(r) : null;

    private static void WriteString(BinaryWriter w, string value)
    {
        w.Write(value.Length);
        w.Write(MemoryMarshal.AsBytes(value.AsSpan()));
    }

    private static string ReadString(BinaryReader r)
    {
        var length = Count(r);
        var bytes = r.ReadBytes(checked(length * sizeof(char)));
        if (bytes.Length != length * sizeof(char)) throw new EndOfStreamException();
        // Copied as bytes: MemoryMarshal.Cast<byte, char> has no ReadyToRun code, and each fresh child compiled it.
        return string.Create(length, bytes, static (chars, from) => from.CopyTo(MemoryMarshal.AsBytes(chars)));
    }

    private static int Count(BinaryReader r) => CheckedCount(r.ReadInt32(), r);

    // A count larger than what is left of the body is a broken message, not a reason to allocate it.
    private static int CheckedCount(int count, BinaryReader r) =>
        count >= 0 && count <= r.BaseStream.Length - r.BaseStream.Position
            ? count
            : throw new InvalidDataException($"a count of {count} where {r.BaseStream.Length - r.BaseStream.Position} bytes are left");
}
