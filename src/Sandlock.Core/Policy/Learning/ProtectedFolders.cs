namespace Sandlock.Policy.Learning;

/// <summary>
/// Folders a learned policy never grants as a whole, because they hold far more than one run needs (the root, the
/// home folder, the system's top folders, the user's configuration), look secret, or directly hold something that
/// looks secret (<see cref="SecretPaths"/>). A path under one of them is granted by itself instead. Only a folder's
/// own entries are checked for secrets, not its whole tree.
/// </summary>
internal sealed class ProtectedFolders(string? home)
{
    /// <summary>Top folders of the system, each shared by everything on it.</summary>
    public static IReadOnlyList<string> System { get; } =
    [
        "/", "/home", "/root", "/etc", "/usr", "/usr/local", "/usr/lib", "/usr/bin", "/usr/sbin", "/var", "/var/lib", "/var/cache",
        "/var/log", "/var/tmp", "/tmp", "/run", "/run/user", "/dev", "/dev/shm", "/proc", "/sys", "/boot", "/opt", "/mnt", "/media",
        "/srv", "/snap", "/nix", "/lib", "/lib64", "/lib32", "/bin", "/sbin",
    ];

    /// <summary>Under the home folder: the folder itself and those holding every program's configuration and data.</summary>
    public static IReadOnlyList<string> InHome { get; } = ["", ".config", ".local", ".local/share", ".local/state", ".cache"];

    /// <summary>Shared temporary folders: a program that makes its files there under random names needs the folder itself.</summary>
    public static IReadOnlyList<string> Temporary { get; } = ["/tmp", "/var/tmp", "/dev/shm"];

    private readonly string? _home = home is null ? null : Path.TrimEndingDirectorySeparator(home);

    /// <summary>The user's protected folders for the current home folder ($HOME).</summary>
    public static ProtectedFolders ForCurrentUser() => new(Environment.GetEnvironmentVariable("HOME") is { Length: > 1 } home ? home : null);

    /// <summary>Why <paramref name="folder"/> may not be granted as a whole, or null when it may.</summary>
    public string? Why(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var trimmed = folder.Length > 1 ? folder.TrimEnd('/') : folder;
        if (trimmed == "/") return "the root folder";
        if (System.Contains(trimmed, StringComparer.Ordinal)) return "a system-wide folder";
        if (_home is not null && InHome.Select(h => h.Length == 0 ? _home : $"{_home}/{h}").Contains(trimmed, StringComparer.Ordinal))
            return trimmed == _home ? "the home folder" : "the home folder's shared configuration or data";
        if (SecretPaths.Why(trimmed) is { } secret) return secret;
        if (SecretEntry(trimmed) is { } entry) return $"a folder holding {entry}, which looks secret";
        return null;
    }

    public bool IsProtected(string folder) => Why(folder) is not null;

    public static bool IsTemporary(string folder) => Temporary.Contains(folder.Length > 1 ? folder.TrimEnd('/') : folder, StringComparer.Ordinal);

    private static string? SecretEntry(string folder)
    {
        try
        {
            return Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName).FirstOrDefault(name => name is not null && SecretPaths.IsSecret($"{folder}/{name}"));
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }
}
