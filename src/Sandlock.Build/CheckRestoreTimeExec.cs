using Microsoft.Build.Evaluation;
using Microsoft.Build.Execution;
using Microsoft.Build.Framework;
using Sandlock.Build.RestoreCheck;

namespace Sandlock.Build;

/// <summary>
/// With <c>SandlockRouteExec=true</c>: warns (SLK0009), at each target's own file and line, about every target that
/// runs an Exec during restore. NuGet restore evaluates the project without any package's build files (MSBuild sets
/// <c>MSBuildIsRestoring</c>, which turns off the project-extension imports, and NuGet conditions its imports on
/// <c>ExcludeRestorePackageImports</c>), so Sandlock's routing cannot reach those Execs: they run unconfined.
/// </summary>
public sealed class CheckRestoreTimeExec : Microsoft.Build.Utilities.Task
{
    /// <summary><c>$(MSBuildProjectFullPath)</c>.</summary>
    [Required]
    public string ProjectFile { get; set; } = "";

    /// <summary>Where the findings are kept for the next build (under obj/); none when empty.</summary>
    public string CacheFile { get; set; } = "";

    public override bool Execute()
    {
        var projectFile = Path.GetFullPath(ProjectFile);
        if (!FirstCheckInThisBuild(projectFile)) return true;

        var globals = BuildEngine is IBuildEngine6 e6
            ? new Dictionary<string, string>(e6.GetGlobalProperties(), StringComparer.OrdinalIgnoreCase)
            : new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        // What `dotnet build`/`msbuild -restore` sets for the restore evaluation.
        globals["MSBuildIsRestoring"] = "true";
        globals["ExcludeRestorePackageImports"] = "true";
        globals.Remove("TargetFramework");

        IReadOnlyList<RestoreTimeFindings.Finding> unrouted;
        try
        {
            unrouted = RestoreTimeFindings.For(projectFile, globals, string.IsNullOrEmpty(CacheFile) ? null : Path.GetFullPath(CacheFile), () => Evaluate(projectFile, globals), out var reused);
            if (reused) Log.LogMessage(MessageImportance.Normal, "Restore-time Exec check of {0}: no import changed since an earlier build", projectFile);
        }
        catch (Exception e) when (e is Microsoft.Build.Exceptions.InvalidProjectFileException or InvalidOperationException or IOException)
        {
            Log.LogWarning(null, DiagnosticCodes.UnroutedExec, null, projectFile, 0, 0, 0, 0,
                "could not find out which targets run Exec during restore, where SandlockRouteExec cannot confine them: {0}", e.Message);
            return true;
        }
        foreach (var target in unrouted)
            Log.LogWarning(null, DiagnosticCodes.UnroutedExec, null, target.FullPath, target.Line, target.Column, 0, 0,
                "target \"{0}\" runs during NuGet restore, where no package's build files are imported: its Exec runs unconfined (SandlockRouteExec cannot route it); run the step from a build target instead (e.g. BeforeTargets=\"BeforeBuild\", or \"DispatchToInnerBuilds\" for the outer build)",
                target.Name);
        return true;
    }

    private static (IReadOnlyList<RestoreTimeFindings.Finding> Findings, IEnumerable<string> Imports) Evaluate(string projectFile, Dictionary<string, string> globals)
    {
        using var collection = new ProjectCollection(globals);
        // Restore also evaluates each framework of a <TargetFrameworks> project, whose imports may differ.
        var outer = new ProjectInstance(projectFile, globals, null, collection);
        List<ProjectTargetInstance> unrouted = [.. RestoreTimeTargets.WithExec(outer)];
        List<string> imports = [.. outer.ImportPaths];
        foreach (var framework in outer.GetPropertyValue("TargetFrameworks").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var inner = new ProjectInstance(projectFile, new Dictionary<string, string>(globals) { ["TargetFramework"] = framework }, null, collection);
            unrouted.AddRange(RestoreTimeTargets.WithExec(inner).Where(t => !unrouted.Any(u => SameTarget(u, t))));
            imports.AddRange(inner.ImportPaths);
        }
        return ([.. unrouted.Select(t => new RestoreTimeFindings.Finding(t.Name, t.FullPath, t.Location.Line, t.Location.Column))], imports);
    }

    private static bool SameTarget(ProjectTargetInstance a, ProjectTargetInstance b) =>
        string.Equals(a.Name, b.Name, StringComparison.OrdinalIgnoreCase) && a.FullPath == b.FullPath && a.Location.Line == b.Location.Line;

    // The project is built as several instances (outer build, per framework, per caller's global properties);
    // one warning per project file and build node is enough.
    private bool FirstCheckInThisBuild(string projectFile)
    {
        if (BuildEngine is not IBuildEngine4 registry) return true;
        var key = $"Sandlock.Build.CheckRestoreTimeExec|{projectFile}";
        if (registry.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is not null) return false;
        registry.RegisterTaskObject(key, projectFile, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        return true;
    }
}
