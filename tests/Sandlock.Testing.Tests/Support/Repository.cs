namespace Sandlock.Testing.Tests.Support;

/// <summary>Where this test run's repository and build configuration are.</summary>
public static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>Release or Debug, from this assembly's artifacts folder (artifacts/bin/PROJECT/CONFIG).</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Name.StartsWith("release", StringComparison.OrdinalIgnoreCase) ? "Release" : "Debug";

    public static string Fixtures => Path.Combine(Root, "tests", "fixtures");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Sandlock.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Sandlock.sln not found above {AppContext.BaseDirectory}");
    }
}
