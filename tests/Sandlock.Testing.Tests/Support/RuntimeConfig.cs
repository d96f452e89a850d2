using System.Text.Json.Nodes;

namespace Sandlock.Testing.Tests.Support;

/// <summary>A built project's runtimeconfig.json, as the test host and the children read it.</summary>
public static class RuntimeConfig
{
    /// <summary>System.Runtime.TieredPGO as the file sets it; null when it does not (the runtime's default: on).</summary>
    public static bool? TieredPgo(string path) =>
        JsonNode.Parse(File.ReadAllText(path))?["runtimeOptions"]?["configProperties"]?["System.Runtime.TieredPGO"]?.GetValue<bool>();
}
