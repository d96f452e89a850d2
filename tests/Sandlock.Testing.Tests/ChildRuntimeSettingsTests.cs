using System.Globalization;
using Sandlock.Policy;
using Sandlock.Testing.Child;

namespace Sandlock.Testing.Tests;

public sealed class ChildRuntimeSettingsTests
{
    private const string IcuVersion = "DOTNET_ICU_VERSION_OVERRIDE";
    private const string NoSuchAssembly = "/nonexistent/Tests.dll";

    [Fact]
    public void AChildIsToldTheIcuVersionThisHostLoaded()
    {
        // This host compares culture-aware, so it has loaded ICU: the child loads the same one without probing for it.
        Assert.True(string.Compare("a", "B", CultureInfo.GetCultureInfo("de-DE"), CompareOptions.None) < 0);
        var loaded = File.ReadLines("/proc/self/maps").First(l => l.Contains("/libicuuc.so.", StringComparison.Ordinal));
        var major = loaded[(loaded.IndexOf("/libicuuc.so.", StringComparison.Ordinal) + "/libicuuc.so.".Length)..].Split('.')[0];
        Assert.Equal(major, ChildRuntimeSettings.For(SandboxPolicy.Default, NoSuchAssembly).Env[IcuVersion]);
    }

    [Fact]
    public void APolicyThatNamesAnIcuVersionKeepsIt()
    {
        var policy = SandboxPolicy.Default with { Env = SandboxPolicy.Default.Env.Add(IcuVersion, "70") };
        Assert.Equal("70", ChildRuntimeSettings.For(policy, NoSuchAssembly).Env[IcuVersion]);
    }

    [Fact]
    public void A_projects_own_tiered_pgo_and_concurrent_gc_choice_is_kept_in_its_children()
    {
        var env = EnvOfAChildOf("""{ "System.GC.Concurrent": true, "System.Runtime.TieredPGO": true }""");
        Assert.False(env.ContainsKey("DOTNET_gcConcurrent"));
        Assert.False(env.ContainsKey("DOTNET_TieredPGO"));
        Assert.Equal("0", env["DOTNET_EnableWriteXorExecute"]);
    }

    [Fact]
    public void A_project_that_names_neither_gets_the_childs_defaults()
    {
        var env = EnvOfAChildOf("""{ "System.Reflection.Metadata.MetadataUpdater.IsSupported": false }""");
        Assert.Equal("0", env["DOTNET_gcConcurrent"]);
        Assert.Equal("0", env["DOTNET_TieredPGO"]);
        // No runtimeconfig at all: the defaults too.
        Assert.Equal("0", ChildRuntimeSettings.For(SandboxPolicy.Default, NoSuchAssembly).Env["DOTNET_gcConcurrent"]);
    }

    /// <summary>A child's environment for a test assembly whose runtimeconfig has <paramref name="configProperties"/>.</summary>
    private static IReadOnlyDictionary<string, string> EnvOfAChildOf(string configProperties)
    {
        var folder = Directory.CreateTempSubdirectory("sandlock-runtimeconfig-");
        try
        {
            var assembly = Path.Combine(folder.FullName, "Tests.dll");
            File.WriteAllText(Path.ChangeExtension(assembly, ".runtimeconfig.json"),
                $$"""{ "runtimeOptions": { "tfm": "net10.0", "configProperties": {{configProperties}} } }""");
            return ChildRuntimeSettings.For(SandboxPolicy.Default, assembly).Env;
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
