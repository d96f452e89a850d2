using System.Reflection;

namespace Sandlock.Build.Tests.TestSupport;

/// <summary>Where the repository and the build configuration of this test run are.</summary>
internal static class Repository
{
    private static string Metadata(string key) =>
        typeof(Repository).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string Root { get; } = Metadata("RepositoryRoot");
    public static string Configuration { get; } = Metadata("Configuration");
    public static string Fixtures { get; } = Path.Combine(Root, "tests", "fixtures");
}
