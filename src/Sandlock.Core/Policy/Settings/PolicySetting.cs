namespace Sandlock.Policy.Settings;

/// <summary>How a front door takes a setting: one value (a later one replaces it), values that add up, or a switch.</summary>
internal enum SettingShape { One, Many, Switch }

/// <summary>
/// One policy setting: its name, the name each front door gives it (null where a door does not offer it) and the one
/// way its value reaches <see cref="SandboxPolicyBuilder"/>.
/// </summary>
internal abstract record PolicySetting(string Name, SettingShape Shape)
{
    /// <summary>The <c>sandlock run</c> flag, e.g. <c>--fs-read</c>.</summary>
    public string? Flag { get; init; }

    /// <summary>The flag's short form, e.g. <c>-r</c>.</summary>
    public string? FlagAlias { get; init; }

    /// <summary>What <c>--help</c> calls the flag's value (PATH, N, SIZE).</summary>
    public string? FlagValue { get; init; }

    /// <summary>What <c>--help</c> says the flag does.</summary>
    public string Help { get; init; } = "";

    /// <summary>The <c>sandlock.toml</c> section and key, e.g. <c>[filesystem] read</c>.</summary>
    public (string Section, string Key)? FileKey { get; init; }

    /// <summary>The <c>SandlockExec</c> parameter, e.g. <c>ReadPaths</c>.</summary>
    public string? TaskParameter { get; init; }

    /// <summary>The <c>[Sandboxed]</c> property (xunit and NUnit alike), e.g. <c>Read</c>.</summary>
    public string? AttributeProperty { get; init; }

    public abstract ValueKind Kind { get; }

    /// <summary>
    /// The setting's values in a policy, as texts <see cref="Apply"/> takes back (one for a single value or a switch
    /// that is on); none where the policy leaves it at its default. What writes a policy out (a checkpoint) reads it here.
    /// </summary>
    public required Func<SandboxPolicy, IEnumerable<string>> ValuesIn { get; init; }

    /// <summary>
    /// Checks <paramref name="text"/> now and returns the builder call to make later (a policy file reports bad values
    /// at load time and applies them in order). Throws <see cref="PolicyException"/> naming <paramref name="source"/>.
    /// </summary>
    public abstract Action<SandboxPolicyBuilder> Prepare(string text, string source);

    /// <summary>Applies one value given as text, <paramref name="source"/> being where it came from (a flag, FILE:LINE:COL, a parameter).</summary>
    public void Apply(SandboxPolicyBuilder builder, string text, string source) => Prepare(text, source)(builder);

    /// <summary>What a front door calls this setting, or null when it does not offer it.</summary>
    public string? NameIn(FrontDoor door) => door switch
    {
        FrontDoor.CommandLine => Flag,
        FrontDoor.PolicyFile => FileKey is var (section, key) ? $"{key} under [{section}]" : null,
        FrontDoor.Task => TaskParameter,
        FrontDoor.Attribute => AttributeProperty,
        _ => throw new ArgumentOutOfRangeException(nameof(door)),
    };
}

/// <summary>A setting whose value is a <typeparamref name="T"/>, read as <see cref="Kind"/> says and applied by one builder call.</summary>
internal sealed record PolicySetting<T>(string Name, SettingShape Shape, ValueKind<T> TypedKind, Action<SandboxPolicyBuilder, T, string> Set)
    : PolicySetting(Name, Shape)
{
    public override ValueKind Kind => TypedKind;

    public override Action<SandboxPolicyBuilder> Prepare(string text, string source)
    {
        var value = TypedKind.Parse(text, source);
        return builder => Set(builder, value, source);
    }
}
