namespace Sandlock.Policy;

/// <summary>
/// The one default policy the integrations start from (a build step, a [Sandboxed] test, a confined test host): read
/// the system and the repository the project lives in, never the credentials under /etc, reach no network. What
/// each adds is its own writable folder (a step: obj/ and bin/ and a temp folder; a test: its temp folder; a test
/// host: a temp folder and its results), and that is the only difference between them.
/// </summary>
internal static class FrontDoorDefaults
{
    public const string Source = "Sandlock default policy";

    /// <summary>The system: programs, libraries, configuration, and /proc and /sys that runtimes read.</summary>
    public static IReadOnlyList<string> SystemReadPaths { get; } =
        ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/proc", "/sys"];

    /// <summary>Credentials under the system folders, unreadable even to a sandbox running as root.</summary>
    public static IReadOnlyList<string> SecretPaths { get; } =
        ["/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-", "/etc/ssh", "/etc/sudoers", "/etc/sudoers.d"];

    /// <summary>
    /// The nearest folder at or above <paramref name="projectDirectory"/> holding <c>.git</c> (a folder, or a file in
    /// worktrees and submodules), else the project's own: real suites and build steps read test data and shared
    /// files from anywhere in it (<c>../../TestFiles</c>, a submodule at the root).
    /// </summary>
    public static string RepositoryRootOf(string projectDirectory)
    {
        for (var dir = new DirectoryInfo(projectDirectory); dir is not null; dir = dir.Parent)
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git")))
                return dir.FullName;
        return Path.GetFullPath(projectDirectory);
    }

    /// <summary>
    /// The user's git configuration, read-only: git and what runs it in a build (MinVer, SourceLink, GitVersion) read
    /// it, and without it they quietly compute something else (a wrong version stamped, the build green).
    /// </summary>
    public static IEnumerable<string> GitConfigurationPaths(IReadOnlyDictionary<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var home = environment.GetValueOrDefault("HOME");
        var xdg = environment.GetValueOrDefault("XDG_CONFIG_HOME") is { Length: > 0 } configured ? configured
            : home is { Length: > 0 } ? Path.Combine(home, ".config") : null;
        string?[] candidates = [home is { Length: > 0 } ? Path.Combine(home, ".gitconfig") : null, xdg is null ? null : Path.Combine(xdg, "git")];
        return candidates.OfType<string>().Where(Path.IsPathRooted).Where(Path.Exists);
    }

    /// <summary>
    /// Where .NET keeps the files of named mutexes, whatever TMPDIR says (a file sink's cross-process lock, NuGet's
    /// migration lock): a fixed path, so that processes with different temp folders still meet there.
    /// </summary>
    public const string DotnetSharedMemory = "/tmp/.dotnet";

    /// <summary>Adds the system reads and the secret denials that exist in <paramref name="root"/>.</summary>
    public static SandboxPolicyBuilder AddSystem(SandboxPolicyBuilder builder, ChildRoot root, string source = Source)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(root);
        foreach (var path in SystemReadPaths.Where(p => Directory.Exists(root.HostPathOf(p)))) builder.FsRead(path, source);
        foreach (var path in SecretPaths.Where(root.Has)) builder.FsDeny(path, source);
        // Outside a chroot only: inside one, the host's home is not what the command would read.
        if (root.Chroot is null)
        {
            foreach (var path in GitConfigurationPaths(CurrentEnvironment())) builder.FsRead(path, source);
            if (EnsureDotnetSharedMemory()) builder.FsWrite(DotnetSharedMemory, source);
        }
        return builder;
    }

    /// <summary>Makes the folder as .NET would (world-writable, sticky), so that a rule can name it before any .NET program ran.</summary>
    private static bool EnsureDotnetSharedMemory()
    {
        const UnixFileMode shared = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead
            | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite
            | UnixFileMode.OtherExecute | UnixFileMode.StickyBit;
        try
        {
            foreach (var folder in new[] { DotnetSharedMemory, Path.Combine(DotnetSharedMemory, "shm") })
            {
                if (Directory.Exists(folder)) continue;
                Directory.CreateDirectory(folder);
                File.SetUnixFileMode(folder, shared);
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Someone else's folder we may not use: named mutexes then fail in the sandbox as they would outside it.
            return Directory.Exists(DotnetSharedMemory);
        }
    }

    private static Dictionary<string, string?> CurrentEnvironment() => new(StringComparer.Ordinal)
    {
        ["HOME"] = Environment.GetEnvironmentVariable("HOME"),
        ["XDG_CONFIG_HOME"] = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME"),
    };
}
