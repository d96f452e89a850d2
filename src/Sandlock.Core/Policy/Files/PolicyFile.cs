namespace Sandlock.Policy.Files;

/// <summary>
/// A <c>sandlock.toml</c> policy file (the original sandlock profile schema). Loading checks its syntax,
/// sections, keys and value types; <see cref="ApplyTo"/> then feeds its values to a
/// <see cref="SandboxPolicyBuilder"/>, each tagged <c>FILE:LINE:COL</c> so later errors point into the file.
/// </summary>
internal sealed class PolicyFile
{
    private readonly PolicyFileContent _content;

    private PolicyFile(string path, PolicyFileContent content)
    {
        Path = path;
        _content = content;
        Command = content.Exec is { } exec ? [exec.Value, .. content.Args?.Value ?? []] : null;
    }

    /// <summary>The file as named by the caller; error messages use this spelling.</summary>
    public string Path { get; }

    /// <summary>The folder that relative paths in the file resolve against.</summary>
    public string Directory => System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path)) ?? "/";

    /// <summary><c>[program] exec</c> followed by <c>[program] args</c>, or null when the file names no program.</summary>
    public string[]? Command { get; }

    /// <summary>
    /// Reads and parses the file once. It must be a regular UTF-8 text file of at most 1 MiB; <paramref name="source"/>
    /// (a flag, a parameter) is what errors about the name itself blame.
    /// </summary>
    public static PolicyFile Load(string path, string source = "policy file") => Parse(PolicyFileText.Read(path, source), path);

    public static PolicyFile Parse(string text, string path) => new(path, PolicyFileParser.Parse(text, path)) { Text = text };

    /// <summary>The text the policy was read from, as read (for showing it without reading the file again).</summary>
    public string Text { get; private init; } = "";

    /// <summary>Applies every setting in file order, resolving relative paths against <see cref="Directory"/>.</summary>
    public void ApplyTo(SandboxPolicyBuilder builder)
    {
        var previous = builder.BaseDirectory;
        builder.BaseDirectory = Directory;
        try
        {
            foreach (var setting in _content.Settings)
                setting(builder);
        }
        finally
        {
            builder.BaseDirectory = previous;
        }
    }

    /// <summary>The 1-based line of <paramref name="key"/> under [<paramref name="section"/>], else of that section's header, else 0.</summary>
    public int LineOf(string section, string key) =>
        _content.KeyLines.TryGetValue((section, key), out var line) ? line : _content.SectionLines.GetValueOrDefault(section);
}
