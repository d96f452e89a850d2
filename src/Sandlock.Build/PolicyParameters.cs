using System.Globalization;
using Sandlock.Policy.Settings;

namespace Sandlock.Build;

/// <summary>
/// The policy parameters of one <c>SandlockExec</c> (docs/msbuild.md) as MSBuild passed them: each property the settings
/// table names (<see cref="PolicySettings"/>), read as text, one pair per value.
/// </summary>
internal static class PolicyParameters
{
    public static IReadOnlyList<(string Name, string Value)> Of(SandlockExec task)
    {
        var parameters = new List<(string Name, string Value)>();
        foreach (var setting in Settings)
        {
            var name = setting.TaskParameter!;
            foreach (var value in Values(name, Read(task, name))) parameters.Add((name, value));
        }
        return parameters;
    }

    private static readonly PolicySetting[] Settings = [.. PolicySettings.In(FrontDoor.Task)];

    /// <summary>
    /// A parameter's value, read directly: reflection (PropertyInfo.GetValue) emitted and JIT-compiled a stub per
    /// property in every fresh build node, a dozen of them in its first routed step.
    /// </summary>
    private static object? Read(SandlockExec task, string name) => name switch
    {
        nameof(SandlockExec.ReadPaths) => task.ReadPaths,
        nameof(SandlockExec.WritePaths) => task.WritePaths,
        nameof(SandlockExec.DenyPaths) => task.DenyPaths,
        nameof(SandlockExec.NetAllow) => task.NetAllow,
        nameof(SandlockExec.HttpAllow) => task.HttpAllow,
        nameof(SandlockExec.MaxMemory) => task.MaxMemory,
        nameof(SandlockExec.MaxProcesses) => task.MaxProcesses,
        nameof(SandlockExec.TimeStart) => task.TimeStart,
        nameof(SandlockExec.RandomSeed) => task.RandomSeed,
        nameof(SandlockExec.DeterministicDirs) => task.DeterministicDirs,
        nameof(SandlockExec.CleanEnv) => task.CleanEnv,
        nameof(SandlockExec.Workdir) => task.Workdir,
        _ => throw new InvalidOperationException($"SandlockExec has no parameter {name}, which the policy settings name"),
    };

    private static IEnumerable<string> Values(string name, object? value) => value switch
    {
        null => [],
        string text => [text],
        string[] items => items,
        bool on => [on.ToString(CultureInfo.InvariantCulture)],
        _ => throw new InvalidOperationException($"the task parameter {name} of type {value.GetType().Name} is not a policy value"),
    };
}
