using Microsoft.Build.Framework;
using Sandlock.Policy;

namespace Sandlock.Build;

/// <summary>
/// What a project's properties say about sandboxing its build steps. <see cref="RegisterSandlockSettings"/> records
/// it once per project instance (an initial target), because a routed <c>Exec</c> gets no extra task parameters.
/// <see cref="LearnFile"/>: with <c>SandlockLearn=true</c>, where the policy learned from the project's steps goes.
/// </summary>
internal sealed record ProjectSettings(
    string ProjectDirectory,
    bool Enabled,
    string? PolicyFile,
    string RepositoryRoot,
    IReadOnlyList<string> ReadPaths,
    IReadOnlyList<string> WritePaths,
    IReadOnlyList<string>? AcceptDeniedPaths = null,
    string? LearnFile = null,
    bool DryRun = false)
{
    public static void Register(IBuildEngine engine, ProjectSettings settings)
    {
        if (engine is IBuildEngine4 registry)
            registry.RegisterTaskObject(KeyFor(engine, settings.ProjectDirectory), settings, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
    }

    /// <summary>The settings of the project instance running the task, or defaults derived from its folder (the current one).</summary>
    public static ProjectSettings For(IBuildEngine engine)
    {
        if (engine is IBuildEngine4 registry && registry.GetRegisteredTaskObject(KeyFor(engine, Directory.GetCurrentDirectory()), RegisteredTaskObjectLifetime.Build) is ProjectSettings settings)
            return settings;
        var projectDirectory = Directory.GetCurrentDirectory();
        var policyFile = Path.Combine(projectDirectory, "sandlock.toml");
        return new ProjectSettings(projectDirectory, Enabled: true, File.Exists(policyFile) ? policyFile : null,
            FrontDoorDefaults.RepositoryRootOf(projectDirectory), [], [Path.Combine(projectDirectory, "obj"), Path.Combine(projectDirectory, "bin")]);
    }

    // A task cannot ask which project it runs for (ProjectFileOfTaskNode is the file holding the task element, often
    // an SDK .targets), but MSBuild runs it in the project's folder. One project is built as several instances, one
    // per global-property set (e.g. per target framework). Two projects in one folder with the same global
    // properties would share settings: the last registered wins.
    internal static string KeyFor(IBuildEngine engine, string projectDirectory)
    {
        var globals = engine is IBuildEngine6 e6
            ? string.Join(";", e6.GetGlobalProperties().OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase).Select(p => $"{p.Key}={p.Value}"))
            : "";
        return $"Sandlock.Build.ProjectSettings|{Path.TrimEndingDirectorySeparator(Path.GetFullPath(projectDirectory))}|{globals}";
    }
}
