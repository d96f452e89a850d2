using System.Text;
using CsCheck;
using Sandlock.Policy;
using Sandlock.Policy.Files;

namespace Sandlock.Tests.PolicyFiles;

/// <summary>
/// Generated policy files, in-process through the reader, the parser, the schema and the builder: each ends in a
/// policy or a one-line <see cref="PolicyException"/>, with bounded allocation. The generator mixes the schema's real
/// sections and keys with junk, values of every TOML type with extreme numbers, control characters, escapes, deep
/// nesting (the 64 levels and more) and broken syntax; a second pass corrupts the bytes (NUL, invalid UTF-8).
/// </summary>
public sealed class PolicyFileFuzzTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static readonly Gen<char> PlainChar = Gen.Frequency((6, Gen.Char['a', 'z']), (2, Gen.Char["/.-_:,*0123456789 "]));

    private static readonly Gen<char> OddChar = Gen.Frequency(
        (2, Gen.Char['\0', '\x1f']), (1, Gen.Char['\x7f', '\x9f']), (2, Gen.Char["\"'\\[]{}=#\u2028\u00e9\u4e2d"]), (1, Gen.Char['\ud800', '\udfff']));

    private static readonly Gen<string> Text = Gen.Frequency(
        (8, Gen.String[PlainChar, 0, 30]),
        (1, Gen.String[Gen.Frequency((4, PlainChar), (1, OddChar)), 0, 30]),
        (1, Gen.Int[250, 5000].Select(n => "/" + new string('a', n))));

    private static readonly Gen<string> Scalar = Gen.Frequency(
        (4, Text.Select(s => "\"" + s + "\"")),
        (1, Text.Select(s => "'" + s + "'")),
        (1, Text.Select(s => "\"\"\"" + s + "\"\"\"")),
        (4, Gen.OneOf("\"\\u0000\"", "\"a\\nb\"", "\"\\U0010FFFF\"", "\"\\uD800\"", "\"/usr\"", "\"/tmp\"", "\"\"", "\"512M\"", "\"1\"", "\"0\"",
            "\"1K\"", "\"8E\"", "\"8000-8010\"", "\"0-65535\"", "\":443\"", "\"localhost:80\"", "\"[::1]:80\"", "\"10.0.0.0/99:1\"",
            "\"icmp://a..b\"", "\"2000-01-01T00:00:00Z\"", "\"2200-01-01\"", "\"commit\"", "\"sysv_ipc\"", "\"/data:/tmp:ro\"", "\"GET a/*\"")),
        (4, Gen.OneOf("0", "1", "-1", "3", "4", "65535", "65536", "2147483647", "2147483648", "-2147483649", "9223372036854775807",
            "-9223372036854775808", "99999999999999999999", "0x7fffffff", "0o777", "0b1", "1_000", "1e999", "nan", "-inf", "3.5")),
        (2, Gen.OneOf("true", "false", "1979-05-27T07:32:00Z", "1979-05-27", "07:32:00", "9999-12-31T23:59:59Z", "1969-12-31T23:59:59Z")));

    // Arrays and inline tables, now and then nested up to 100 deep around a scalar: 64 deep killed the CLI before.
    private static readonly Gen<string> Value = Gen.Frequency(
        (20, Scalar),
        (14, Gen.Select(Scalar.Array[0, 4], items => "[" + string.Join(", ", items) + "]")),
        (1, Gen.Select(Scalar, Gen.Int[0, 100], Gen.Bool, (inner, depth, table) =>
            table ? string.Concat(Enumerable.Repeat("{a=", depth)) + inner + new string('}', depth)
                  : new string('[', depth) + inner + new string(']', depth))),
        (4, Gen.Select(Text.Array[0, 3], Scalar, (keys, value) => "{ " + string.Join(", ", keys.Select((k, i) => $"k{i}{k.Length} = {value}")) + " }")));

    private static readonly Gen<string> Junk = Gen.Frequency(
        (2, Gen.OneOf("[[limits]]", "[program.env]", "[filesystem.read]", "[nope]", "[", "[]", "[limits", "]]", "[a.\"b\"]", "x = 1", "= 1")),
        (1, Text.Select(t => "# " + t)),
        (1, Text),
        (1, Gen.Select(Text, Value, (key, value) => $"{key} = {value}")));

    private static readonly Gen<string> Section = Gen.OneOf(PolicyFileSchema.Sections.ToArray()).SelectMany(section =>
        Gen.Frequency(
            (12, Gen.Select(Gen.OneOf(section.Keys.Select(k => k.Key).ToArray()), Value, (key, value) => $"{key} = {value}")),
            (1, Gen.Select(Gen.OneOf("env.LANG", "env.\"A B\"", "\"read\"", "read.x", "bad key"), Value, (key, value) => $"{key} = {value}")),
            (1, Junk))
        .Array[0, 6].Select(lines => $"[{section.Name}]\n" + string.Join('\n', lines)));

    private static readonly Gen<string> Document = Gen.Frequency((10, Section), (1, Junk)).Array[0, 4].Select(parts => string.Join('\n', parts));

    [Fact]
    public Task Generated_policy_texts_end_in_a_policy_or_a_one_line_error() =>
        Fuzz.Guarded(() => Fuzz.Each(Document, stream: 1, count: 3000, text =>
            Fuzz.RefusedInOneLineOrAccepted(() =>
            {
                var builder = new SandboxPolicyBuilder();
                PolicyFile.Parse(text, "fuzz.toml").ApplyTo(builder);
                builder.Build();
            }), text => text), TimeSpan.FromMinutes(2));

    // Corruptions of generated files: bytes a text editor would not write (NUL, a lone continuation byte, an
    // overlong encoding, a surrogate half encoded in UTF-8) inserted, replacing or cutting the text.
    private static readonly Gen<byte[]> CorruptFile = Gen.Select(Document, Gen.Int[0, 3], Gen.Int.Uniform, Gen.OneOf<byte[]>(
            [0x00], [0xff], [0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xef, 0xbb, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0x0d]),
        (text, how, where, bytes) =>
        {
            var file = Encoding.UTF8.GetBytes(text).ToList();
            var at = file.Count == 0 ? 0 : (int)((uint)where % (uint)file.Count);
            switch (how)
            {
                case 0: file.InsertRange(at, bytes); break;
                case 1: if (file.Count > 0) file[at] = bytes[0]; break;
                case 2: file.RemoveRange(at, file.Count - at); file.AddRange(bytes); break;
                default: file.InsertRange(0, bytes); break;
            }
            return file.ToArray();
        });

    [Fact]
    public Task Corrupted_policy_files_end_in_a_policy_or_a_one_line_error()
    {
        var path = _temp.Combine("fuzz.toml");
        return Fuzz.Guarded(() => Fuzz.Each(CorruptFile, stream: 2, count: 1000, bytes =>
            Fuzz.RefusedInOneLineOrAccepted(() =>
            {
                File.WriteAllBytes(path, bytes);
                var builder = new SandboxPolicyBuilder();
                PolicyFile.Load(path).ApplyTo(builder);
                builder.Build();
            }), bytes => Convert.ToHexString(bytes)), TimeSpan.FromMinutes(2));
    }
}
