using System.Collections.Concurrent;
using System.Text.Json;

namespace Sandlock.Testing.Child;

/// <summary>
/// The settings a test project's runtimeconfig.json names (<c>runtimeOptions.configProperties</c>), read once per test
/// assembly: what the project chose for itself, which a child's defaults must not override.
/// </summary>
internal static class ProjectRuntimeConfig
{
    private static readonly ConcurrentDictionary<string, IReadOnlySet<string>> Named = new(StringComparer.Ordinal);

    /// <summary>The configProperties of <paramref name="testAssemblyPath"/>'s runtimeconfig; none when it has none or cannot be read.</summary>
    public static IReadOnlySet<string> PropertiesOf(string testAssemblyPath) =>
        Named.GetOrAdd(Path.ChangeExtension(testAssemblyPath, ".runtimeconfig.json"), Read);

    private static IReadOnlySet<string> Read(string path)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            if (json.RootElement.TryGetProperty("runtimeOptions", out var options) && options.ValueKind == JsonValueKind.Object
                && options.TryGetProperty("configProperties", out var properties) && properties.ValueKind == JsonValueKind.Object)
                foreach (var property in properties.EnumerateObject()) names.Add(property.Name);
        }
        // The child is started with the same file and reports what is wrong with it; the defaults then stand.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException) { }
        return names;
    }
}
