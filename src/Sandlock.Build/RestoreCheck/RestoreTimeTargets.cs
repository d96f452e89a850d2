using Microsoft.Build.Execution;

namespace Sandlock.Build.RestoreCheck;

/// <summary>
/// The targets of a project that can run during NuGet restore: NuGet's own (those defined in NuGet.targets), the
/// targets they depend on, and the targets hooked before or after any of these, closed under all three relations.
/// Restore evaluates the project without the packages' build files, so an Exec in such a target is never routed.
/// </summary>
internal static class RestoreTimeTargets
{
    private const string NuGetTargetsFile = "NuGet.targets";

    /// <summary>The targets of <paramref name="project"/> (a restore-time evaluation) that run during restore and hold an Exec.</summary>
    public static IReadOnlyList<ProjectTargetInstance> WithExec(ProjectInstance project)
    {
        var targets = project.Targets;
        var restoreTime = new HashSet<string>(
            targets.Where(t => IsNuGetRestoreFile(t.Value.FullPath)).Select(t => t.Key), StringComparer.OrdinalIgnoreCase);
        var hookedOn = targets
            .SelectMany(t => Names(project, t.Value.BeforeTargets).Concat(Names(project, t.Value.AfterTargets)).Select(on => (on, hook: t.Key)))
            .ToLookup(h => h.on, h => h.hook, StringComparer.OrdinalIgnoreCase);
        var pending = new Queue<string>(restoreTime);
        while (pending.Count > 0)
        {
            var name = pending.Dequeue();
            foreach (var next in Names(project, targets[name].DependsOnTargets).Concat(hookedOn[name]))
                if (targets.ContainsKey(next) && restoreTime.Add(next)) pending.Enqueue(next);
        }

        return [.. restoreTime.Select(name => targets[name])
            .Where(t => !IsNuGetRestoreFile(t.FullPath))
            .Where(t => t.Tasks.Any(task => string.Equals(task.Name, "Exec", StringComparison.OrdinalIgnoreCase)))
            .Where(t => CanRun(project, t.Condition))
            .OrderBy(t => t.FullPath, StringComparer.Ordinal).ThenBy(t => t.Location.Line)];
    }

    private static bool IsNuGetRestoreFile(string path) =>
        string.Equals(Path.GetFileName(path), NuGetTargetsFile, StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<string> Names(ProjectInstance project, string list) =>
        string.IsNullOrWhiteSpace(list)
            ? []
            : project.ExpandString(list).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    // A condition that reads properties set by earlier targets cannot be judged here; only a plain false rules it out.
    private static bool CanRun(ProjectInstance project, string condition)
    {
        if (string.IsNullOrWhiteSpace(condition)) return true;
        try
        {
            return project.EvaluateCondition(condition);
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or Microsoft.Build.Exceptions.InvalidProjectFileException)
        {
            return true;
        }
    }
}
