using Sandlock.Policy;

namespace Sandlock.Policy.Files;

/// <summary>Finds where a key of a <c>sandlock.toml</c> section is written, to point a denial at the line to change.</summary>
internal static class PolicyFileLocations
{
    /// <summary>The 1-based line of <paramref name="key"/> in <paramref name="section"/>, else of the section header, else 0.</summary>
    public static int LineOf(string path, string section, string key)
    {
        try
        {
            return PolicyFile.Load(path).LineOf(section, key);
        }
        catch (PolicyException)
        {
            // A file that no longer loads has already been reported at its own line.
            return 0;
        }
    }
}
