using Sandlock.Policy.Settings;

namespace Sandlock.Lifecycle;

/// <summary>
/// How a front door names the settings a denial explanation points at, taken from <see cref="PolicySettings"/>: a
/// task's parameters, an attribute's properties, the CLI's flags, a policy file's keys. <see cref="PolicyFile"/> is
/// the policy file in effect, if any.
/// </summary>
internal sealed record PolicyVocabulary
{
    private PolicyVocabulary(FrontDoor door, string? policyFile, string? policyFileWhere = null) =>
        (Door, PolicyFile, _policyFileWhere) = (door, policyFile, policyFileWhere ?? "in the policy file passed with --sandlock FILE");

    // Where a host confined by a policy file alone takes that file from.
    private readonly string _policyFileWhere;

    internal FrontDoor Door { get; }

    public string? PolicyFile { get; }

    /// <summary>SandlockExec and routed Exec steps.</summary>
    public static PolicyVocabulary Task(string? policyFile) => new(FrontDoor.Task, policyFile);

    /// <summary>The confined Microsoft.Testing.Platform host: its policy file is all it takes.</summary>
    public static PolicyVocabulary TestHost(string? policyFile) => new(FrontDoor.PolicyFile, policyFile);

    /// <summary>The confined VSTest testhost (SandlockTestHost=true): the project's sandlock.toml is all it takes.</summary>
    public static PolicyVocabulary VsTestHost(string? policyFile) =>
        new(FrontDoor.PolicyFile, policyFile, "in the project's sandlock.toml (or the file SandlockPolicyFile names)");

    /// <summary>[Sandboxed] tests, xunit and NUnit alike.</summary>
    public static PolicyVocabulary SandboxedAttribute(string? policyFile) => new(FrontDoor.Attribute, policyFile);

    /// <summary><c>sandlock run</c>.</summary>
    public static PolicyVocabulary CommandLine(string? policyFile) => new(FrontDoor.CommandLine, policyFile);

    /// <summary>Where this door's settings are written, e.g. "on the task".</summary>
    private string On => Door switch
    {
        FrontDoor.Task => "on the task",
        FrontDoor.Attribute => "on [Sandboxed]",
        FrontDoor.CommandLine => "on the command line",
        _ => _policyFileWhere,
    };

    private string To => Door switch
    {
        FrontDoor.Task => "to the task",
        FrontDoor.Attribute => "to [Sandboxed]",
        FrontDoor.CommandLine => "to the command line",
        _ => On,
    };

    /// <summary>What this door calls <paramref name="setting"/>, e.g. <c>MaxProcesses on the task</c>.</summary>
    internal string Name(PolicySetting setting) => $"{setting.NameIn(Door) ?? setting.Name} {On}";

    /// <summary>A rule of a list setting, e.g. <c>a NetAllow rule on the task</c>.</summary>
    internal string Rule(PolicySetting setting) => $"a {setting.NameIn(Door) ?? setting.Name} rule {On}";

    /// <summary>
    /// How to give <paramref name="setting"/> the value <paramref name="value"/> in this door, e.g.
    /// <c>add ReadPaths="/data" (or WritePaths to write) to the task</c>; <paramref name="orElse"/> is a setting to name as the alternative.
    /// </summary>
    internal string Add(PolicySetting setting, string value, PolicySetting? orElse = null, string? orElseDoes = null)
    {
        var alternative = orElse is null ? "" : Door == FrontDoor.PolicyFile ? $" (or {Short(orElse)})" : $" (or {Short(orElse)} {orElseDoes})";
        return Door switch
        {
            FrontDoor.Task => $"add {setting.TaskParameter}=\"{value}\"{alternative} {To}",
            FrontDoor.Attribute => setting.Shape == SettingShape.Many
                ? $"add {setting.AttributeProperty} = [\"{value}\"]{alternative} {To}"
                : $"add {setting.AttributeProperty} = \"{value}\"{alternative} {To}",
            FrontDoor.CommandLine => $"add {setting.Flag} {value}{alternative}",
            _ => $"add {InFile(setting, value)}{alternative} {To}",
        };
    }

    /// <summary>The setting written in a policy file, e.g. <c>read = ["/data"] under [filesystem]</c>.</summary>
    internal static string InFile(PolicySetting setting, string value) => setting.FileKey is var (section, key)
        ? setting.Shape == SettingShape.Many ? $"{key} = [\"{value}\"] under [{section}]" : $"{key} = \"{value}\" under [{section}]"
        : setting.Name;

    private string Short(PolicySetting setting) => Door == FrontDoor.PolicyFile ? setting.FileKey?.Key ?? setting.Name : setting.NameIn(Door) ?? setting.Name;
}
