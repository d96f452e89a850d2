using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace Sandlock.Build;

/// <summary>
/// Runs first in every project that imports Sandlock.targets and records the project's Sandlock properties for the
/// <c>SandlockExec</c> and routed <c>Exec</c> tasks of that project instance.
/// </summary>
public sealed class RegisterSandlockSettings : Microsoft.Build.Utilities.Task
{
    [Required]
    public string ProjectDirectory { get; set; } = "";

    /// <summary><c>$(SandlockEnabled)</c>: anything but <c>false</c> confines.</summary>
    public string? Enabled { get; set; }

    /// <summary><c>$(SandlockPolicyFile)</c>, or empty for none.</summary>
    public string? PolicyFile { get; set; }

    /// <summary><c>$(SandlockRepositoryRoot)</c>; empty: the nearest folder above the project holding <c>.git</c>.</summary>
    public string? RepositoryRoot { get; set; }

    /// <summary>Extra readable folders: NuGet package folders, the dotnet root, <c>@(SandlockReadPath)</c>.</summary>
    public ITaskItem[] ReadPaths { get; set; } = [];

    /// <summary>Writable folders: obj/, bin/, the output folder, <c>@(SandlockWritePath)</c>.</summary>
    public ITaskItem[] WritePaths { get; set; } = [];

    /// <summary><c>@(SandlockAcceptDenied)</c>: files or folders a step may be refused with only a message (known harmless probes).</summary>
    public ITaskItem[] AcceptDeniedPaths { get; set; } = [];

    /// <summary><c>$(SandlockLearn)</c>: <c>true</c> runs the steps observed and writes <see cref="LearnFile"/>.</summary>
    public string? Learn { get; set; }

    /// <summary><c>$(SandlockLearnFile)</c>: where the learned policy goes (default: obj/sandlock.learned.toml).</summary>
    public string? LearnFile { get; set; }

    /// <summary><c>$(SandlockDryRun)</c>: <c>true</c> runs every step with a workdir as a dry run (its changes logged, none kept).</summary>
    public string? DryRun { get; set; }

    public override bool Execute()
    {
        var projectDirectory = Path.GetFullPath(ProjectDirectory);
        string? Full(string? path) => string.IsNullOrWhiteSpace(path) ? null : Path.GetFullPath(path.Trim(), projectDirectory);
        List<string> FullPaths(ITaskItem[] items) =>
            [.. items.Select(i => Full(i.ItemSpec)).OfType<string>().Distinct(StringComparer.Ordinal)];

        var settings = new ProjectSettings(
            projectDirectory,
            !string.Equals(Enabled?.Trim(), "false", StringComparison.OrdinalIgnoreCase),
            Full(PolicyFile),
            Full(RepositoryRoot) ?? Sandlock.Policy.FrontDoorDefaults.RepositoryRootOf(projectDirectory),
            FullPaths(ReadPaths),
            FullPaths(WritePaths),
            FullPaths(AcceptDeniedPaths),
            string.Equals(Learn?.Trim(), "true", StringComparison.OrdinalIgnoreCase)
                ? Full(LearnFile) ?? Path.Combine(projectDirectory, "obj", "sandlock.learned.toml")
                : null,
            string.Equals(DryRun?.Trim(), "true", StringComparison.OrdinalIgnoreCase));
        ProjectSettings.Register(BuildEngine, settings);
        return true;
    }
}
