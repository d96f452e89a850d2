using System.Globalization;
using Sandlock.Policy.Settings;

namespace Sandlock.Build;

/// <summary>
/// The policy parameters of one <c>SandlockExec</c> (docs/msbuild.md) as MSBuild passed them: each property the settings
/// table names (<see cref="PolicySettings"/>), read as text, one pair per value.
/// </summary>
internal static class PolicyParameters
{
    public static IReadOnlyList<(string Name, string Value)> Of(SandlockExec task) =>
        [.. PolicySettings.In(FrontDoor.Task).SelectMany(setting =>
        {
            var name = setting.TaskParameter!;
            var property = task.GetType().GetProperty(name)
                ?? throw new InvalidOperationException($"SandlockExec has no parameter {name}, which the policy settings name");
            return Values(property.GetValue(task)).Select(value => (name, value));
        })];

    private static IEnumerable<string> Values(object? value) => value switch
    {
        null => [],
        string text => [text],
        string[] items => items,
        bool on => [on.ToString(CultureInfo.InvariantCulture)],
        _ => throw new InvalidOperationException($"a task parameter of type {value.GetType().Name} is not a policy value"),
    };
}
