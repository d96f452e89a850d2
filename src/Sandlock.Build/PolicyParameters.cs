using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;
using Sandlock.Policy.Settings;

namespace Sandlock.Build;

/// <summary>
/// The policy parameters of one <c>SandlockExec</c> (docs/msbuild.md) as MSBuild passed them: each property the settings
/// table names (<see cref="PolicySettings"/>), read as text, one pair per value.
/// </summary>
internal static class PolicyParameters
{
    // Looked up once per task type: every routed step reads them.
    private static readonly ConcurrentDictionary<Type, (string Name, PropertyInfo Property)[]> PropertiesByType = new();

    public static IReadOnlyList<(string Name, string Value)> Of(SandlockExec task)
    {
        var parameters = new List<(string Name, string Value)>();
        foreach (var (name, property) in PropertiesByType.GetOrAdd(task.GetType(), Properties))
            foreach (var value in Values(property.GetValue(task))) parameters.Add((name, value));
        return parameters;
    }

    private static (string Name, PropertyInfo Property)[] Properties(Type type) =>
        [.. PolicySettings.In(FrontDoor.Task).Select(setting =>
        {
            var name = setting.TaskParameter!;
            return (name, type.GetProperty(name) ?? throw new InvalidOperationException($"SandlockExec has no parameter {name}, which the policy settings name"));
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
