using System.Text;

namespace Sandlock.Build;

/// <summary>
/// Turns one output stream's byte chunks into lines the way Process's async reader does: split at \n, \r or \r\n,
/// empty lines kept, a last unterminated line delivered at the end.
/// </summary>
internal sealed class OutputLines(Encoding encoding, Action<string> onLine)
{
    private readonly Decoder _decoder = encoding.GetDecoder();
    private readonly StringBuilder _line = new();
    // Sized to what arrives: most steps print a few lines, and a build node runs thousands of them.
    private char[] _chars = [];
    private bool _skipNextLineFeed;

    public void Add(ReadOnlySpan<byte> bytes)
    {
        var needed = _decoder.GetCharCount(bytes, flush: false);
        if (needed > _chars.Length) _chars = new char[Math.Max(needed, MinimumBuffer)];
        var count = _decoder.GetChars(bytes, _chars, flush: false);
        Split(_chars.AsSpan(0, count));
    }

    private const int MinimumBuffer = 256;

    public void Complete()
    {
        var needed = _decoder.GetCharCount([], flush: true);
        if (needed > _chars.Length) _chars = new char[needed];
        var count = _decoder.GetChars([], _chars, flush: true);
        Split(_chars.AsSpan(0, count));
        if (_line.Length > 0) Emit();
    }

    private void Split(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (_skipNextLineFeed)
            {
                _skipNextLineFeed = false;
                if (c == '\n') continue;
            }
            if (c == '\n') Emit();
            else if (c == '\r')
            {
                Emit();
                _skipNextLineFeed = true;
            }
            else _line.Append(c);
        }
    }

    private void Emit()
    {
        onLine(_line.ToString());
        _line.Clear();
    }
}
