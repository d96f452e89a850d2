namespace Sandlock.Policy.Files;

/// <summary>
/// Named policy files kept in <c>$XDG_CONFIG_HOME/sandlock/profiles/NAME.toml</c>
/// (<c>~/.config/sandlock/profiles</c> when <c>XDG_CONFIG_HOME</c> is unset).
/// </summary>
internal sealed class ProfileStore
{
    private const string Extension = ".toml";

    /// <param name="directory">Where profiles live; null for the per-user default.</param>
    public ProfileStore(string? directory = null) => Directory = directory ?? DefaultDirectory();

    public string Directory { get; }

    /// <summary>Profile names, sorted; empty when the directory does not exist.</summary>
    public IEnumerable<string> List()
    {
        if (!System.IO.Directory.Exists(Directory)) return [];
        return System.IO.Directory.EnumerateFiles(Directory, "*" + Extension)
            .Select(f => Path.GetFileNameWithoutExtension(f))
            .Where(IsValidName)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public string PathOf(string name)
    {
        if (!IsValidName(name))
            throw new PolicyException($"profile {name}",
                "invalid profile name: use letters, digits, '-', '_' and '.', not starting with '.'");
        return Path.Combine(Directory, name + Extension);
    }

    public PolicyFile Load(string name)
    {
        var path = PathOf(name);
        if (!File.Exists(path))
        {
            var available = List().ToList();
            throw new PolicyException($"profile {name}",
                $"no such profile; available: {(available.Count == 0 ? $"none (in {Directory})" : string.Join(", ", available))}");
        }
        return PolicyFile.Load(path);
    }

    // A leading dot would allow "." and ".." and hide the file; the character set keeps names inside Directory.
    private static bool IsValidName(string name) =>
        name.Length > 0 && name[0] != '.' && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static string DefaultDirectory()
    {
        var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME");
        // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
        if (string.IsNullOrEmpty(config) || !Path.IsPathRooted(config))
        {
            var home = Environment.GetEnvironmentVariable("HOME");
            if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            config = Path.Combine(home, ".config");
        }
        return Path.Combine(config, "sandlock", "profiles");
    }
}
