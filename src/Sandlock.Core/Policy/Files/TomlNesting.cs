namespace Sandlock.Policy.Files;

/// <summary>
/// Finds where arrays and inline tables of a TOML text first nest deeper than a limit, before the parser sees it:
/// the parser would recurse once per level, and its own limit reports no position.
/// </summary>
internal static class TomlNesting
{
    /// <summary>The index of the bracket or brace that opens level <paramref name="limit"/> + 1, or -1.</summary>
    public static int FirstTooDeep(string text, int limit)
    {
        var depth = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '#':
                    i = text.IndexOf('\n', i) is var end and >= 0 ? end : text.Length;
                    break;
                case '"' or '\'':
                    i = EndOfString(text, i);
                    break;
                case '[' or '{':
                    if (++depth > limit) return i;
                    break;
                case ']' or '}':
                    // Unbalanced closers are the parser's to report; they must not hide a later deep nesting.
                    depth = Math.Max(0, depth - 1);
                    break;
            }
        }
        return -1;
    }

    // The index of the last character of the string starting at start (its closing quote, or the end of the text).
    private static int EndOfString(string text, int start)
    {
        var quote = text[start];
        var multiLine = string.CompareOrdinal(text, start, new string(quote, 3), 0, 3) == 0;
        var i = start + (multiLine ? 3 : 1);
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && quote == '"') { i++; continue; }
            if (!multiLine && c == '\n') return i;
            if (c != quote) continue;
            if (!multiLine) return i;
            if (string.CompareOrdinal(text, i, new string(quote, 3), 0, 3) == 0)
            {
                // Up to two more quotes may close the string as part of its content ("""a""""").
                var end = i + 2;
                while (end + 1 < text.Length && text[end + 1] == quote && end - i < 4) end++;
                return end;
            }
        }
        return text.Length;
    }
}
