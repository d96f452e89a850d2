namespace Sandlock.Build;

/// <summary>Finds where a key of a <c>sandlock.toml</c> section is written, to point a denial at the line to change.</summary>
internal static class PolicyFileLocations
{
    /// <summary>The 1-based line of <paramref name="key"/> in <paramref name="section"/>, else of the section header, else 0.</summary>
    public static int LineOf(string path, string section, string key)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
        var current = "";
        var sectionLine = 0;
        for (var i = 0; i < lines.Length; i++)
        {
            var text = lines[i].Trim();
            if (text.StartsWith('[') && text.EndsWith(']'))
            {
                current = text.Trim('[', ']', ' ');
                if (current == section) sectionLine = i + 1;
                continue;
            }
            if (current != section) continue;
            var eq = text.IndexOf('=');
            if (eq > 0 && text[..eq].Trim() == key) return i + 1;
        }
        return sectionLine;
    }
}
