namespace Sandlock.Policy.Files;

/// <summary>What a policy file says, checked for shape and type but not yet applied to a builder.</summary>
internal sealed class PolicyFileContent
{
    /// <summary>Builder calls in file order, each carrying the <c>FILE:LINE:COL</c> of its value.</summary>
    public List<Action<SandboxPolicyBuilder>> Settings { get; } = [];

    public (string Value, TomlLocation Location)? Exec { get; set; }

    public (string[] Value, TomlLocation Location)? Args { get; set; }

    /// <summary>The 1-based line of each section header and of each key, for pointing people at what to edit.</summary>
    public Dictionary<string, int> SectionLines { get; } = new(StringComparer.Ordinal);

    public Dictionary<(string Section, string Key), int> KeyLines { get; } = [];

    public void Add(Action<SandboxPolicyBuilder> setting) => Settings.Add(setting);
}
