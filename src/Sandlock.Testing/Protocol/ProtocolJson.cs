using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sandlock.Testing.Protocol;

[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
[JsonSerializable(typeof(ChildTestRequest))]
[JsonSerializable(typeof(ChildRunReport))]
[JsonSerializable(typeof(SharedChildMessage))]
[JsonSerializable(typeof(SharedChildTest))]
internal sealed partial class ProtocolJson : JsonSerializerContext
{
    public const string RequestFileName = "request.json";
    public const string ResultFileName = "result.json";

    public static void Write<T>(string path, T value)
    {
        // Written beside and renamed so that a reader never sees half a file.
        var partial = path + ".partial";
        File.WriteAllBytes(partial, JsonSerializer.SerializeToUtf8Bytes(value, typeof(T), Default));
        File.Move(partial, path, overwrite: true);
    }

    /// <summary>One message as one line (no indentation, so no newline inside).</summary>
    public static string Line(SharedChildMessage message) => JsonSerializer.Serialize(message, Default.SharedChildMessage);

    public static SharedChildMessage ParseLine(string line) =>
        JsonSerializer.Deserialize(line, Default.SharedChildMessage) ?? throw new InvalidDataException("an empty protocol message");

    public static T Read<T>(string path) =>
        (T)(JsonSerializer.Deserialize(File.ReadAllBytes(path), typeof(T), Default)
            ?? throw new InvalidDataException($"{path} holds no value"));
}
