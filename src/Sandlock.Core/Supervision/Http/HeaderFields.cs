namespace Sandlock.Supervision.Http;

/// <summary>The header fields of an HTTP/1.x message head, in the order sent, and the reading of them.</summary>
internal sealed class HeaderFields(List<KeyValuePair<string, string>> fields) : IEnumerable<KeyValuePair<string, string>>
{
    public const int MaxLine = 16 * 1024;
    private const int MaxFields = 200;
    private const int MaxHead = 64 * 1024;

    // Fields whose reading decides where a message ends or where it goes: each must be spelled one way and said once.
    private static readonly string[] Framing = ["Content-Length", "Transfer-Encoding", "Host"];

    // Hop-by-hop (RFC 9110 7.6.1), or framing and routing the proxy writes itself.
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Expect", "Host", "Content-Length",
    };

    /// <summary>Whether the proxy drops <paramref name="name"/> from what it forwards (hop-by-hop or written by the proxy).</summary>
    public static bool ProxyWrites(string name) => NotForwarded.Contains(name);

    public string? this[string name] => fields.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public IEnumerable<string> All(string name) =>
        fields.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    /// <summary>The comma-separated tokens of every <paramref name="name"/> field.</summary>
    public IEnumerable<string> Tokens(string name) => All(name).SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    public bool HasToken(string name, string token) => Tokens(name).Any(t => t.Equals(token, StringComparison.OrdinalIgnoreCase));

    /// <summary>The end-to-end fields: without hop-by-hop ones, those the Connection field names, and those the proxy writes.</summary>
    public IEnumerable<KeyValuePair<string, string>> Forwarded()
    {
        var named = Tokens("Connection").ToHashSet(StringComparer.OrdinalIgnoreCase);
        return fields.Where(h => !NotForwarded.Contains(h.Key) && !named.Contains(h.Key));
    }

    /// <summary>Reads field lines up to the empty line that ends a head.</summary>
    public static async ValueTask<HeaderFields> ReadAsync(MessageInput input, CancellationToken cancel)
    {
        var fields = new List<KeyValuePair<string, string>>();
        var size = 0;
        while (await input.ReadLineAsync(MaxLine, cancel).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0) return new HeaderFields(fields);
            if ((size += line.Length + 2) > MaxHead) throw new InvalidDataException($"the message head is longer than {MaxHead / 1024} KiB");
            // A bare CR ends a line for some servers: forwarded, it would add a header (a second Host) the rules never saw.
            if (line.Any(c => c is '\r' or '\0'))
                throw new InvalidDataException($"a header line holds a bare CR or NUL: '{Shorten(line.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal))}'");
            var colon = line.IndexOf(':');
            // Whitespace before the colon or a folded line are request smuggling vectors (RFC 9112 5.1, 5.2).
            if (colon <= 0 || char.IsWhiteSpace(line[colon - 1]) || char.IsWhiteSpace(line[0]))
                throw new InvalidDataException($"malformed header line '{Shorten(line)}'");
            if (fields.Count == MaxFields) throw new InvalidDataException($"more than {MaxFields} headers");
            var name = line[..colon];
            if (Framing.FirstOrDefault(f => f.Equals(name.Replace('_', '-'), StringComparison.OrdinalIgnoreCase)) is { } framing
                && (!framing.Equals(name, StringComparison.OrdinalIgnoreCase) || framing == "Host" && fields.Any(f => f.Key.Equals("Host", StringComparison.OrdinalIgnoreCase))))
                throw new InvalidDataException($"the header '{Shorten(name)}' is a second Host or a misspelt {framing}, which servers read differently");
            fields.Add(new(name, line[(colon + 1)..].Trim()));
        }
        throw new InvalidDataException("the connection ended inside a message head");
    }

    public static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "...";

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() => fields.GetEnumerator();
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}
