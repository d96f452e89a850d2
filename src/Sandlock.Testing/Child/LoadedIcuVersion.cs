namespace Sandlock.Testing.Child;

/// <summary>
/// The major version of the system ICU this process loaded, from its mappings (<c>libicuuc.so.72.1</c> gives 72);
/// null when it loaded none (invariant globalization, an app-local ICU under another name) or the mappings cannot be read.
/// </summary>
internal static class LoadedIcuVersion
{
    private const string Library = "/libicuuc.so.";

    public static string? Major { get; } = Find();

    private static string? Find()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var at = line.IndexOf(Library, StringComparison.Ordinal);
                if (at < 0) continue;
                var version = line.AsSpan(at + Library.Length);
                var end = version.IndexOf('.');
                var major = end < 0 ? version : version[..end];
                return major.Length is > 0 and <= 3 && !major.ContainsAnyExceptInRange('0', '9') ? major.ToString() : null;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }
}
