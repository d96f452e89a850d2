using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

/// <summary>
/// A project whose NuGet package folders have never held crossgen2 (a newcomer's machine, a CI cache of its own) still
/// gets its test framework compiled ahead of time: NuGet restores a project without its packages' build files, so the
/// package cannot ask restore for crossgen2; the first build fetches it. The workspace fixtures cannot show this: the
/// machine's packages folder, their fallback, holds crossgen2 from this repository's own ReadyToRun builds.
/// </summary>
public sealed class ReadyToRunFirstBuildTests
{
    private const string Crossgen2Package = "microsoft.netcore.app.crossgen2.linux-x64";

    [Fact]
    public async Task AFirstBuildFetchesCrossgen2IntoTheProjectsPackagesFolderAndTheTestFrameworkIsReadyToRun()
    {
        var (project, packages, environment) = await NewProject(nugetOrg: "https://api.nuget.org/v3/index.json");

        var build = await Dotnet.Run(project, environment, Dotnet.Host, "build", "-c", "Release", "-nr:false", "-v:n");

        Assert.True(build.ExitCode == 0, $"the first build failed:\n{build}");
        Assert.Contains(" 0 Warning(s)", build.Output);
        Assert.True(Directory.Exists(Path.Combine(packages, Crossgen2Package)), $"no crossgen2 in {packages}:\n{build}");
        var engine = Path.Combine(project, "bin", "Release", "net10.0", "xunit.execution.dotnet.dll");
        Assert.True(ReadyToRunImage.Is(engine), $"xunit's engine is IL only after the first build:\n{build}");
        var test = await Dotnet.Run(project, environment, Dotnet.Host, "test", "-c", "Release", "--no-build", "-nr:false");
        Assert.True(test.ExitCode == 0, $"the sandboxed test failed with the ReadyToRun framework:\n{test}");
    }

    [Fact]
    public async Task WithoutAReachableSourceTheBuildKeepsTheILCopiesWithoutAWarningAndDoesNotTryAgainUntilTheNextRestore()
    {
        var (project, packages, environment) = await NewProject(nugetOrg: "https://api.nuget.org/v3/index.json");
        var restore = await Dotnet.Run(project, environment, Dotnet.Host, "restore", "-nr:false");
        Assert.True(restore.ExitCode == 0, $"the restore failed:\n{restore}");
        // Offline from here: crossgen2's only source is gone.
        await File.WriteAllTextAsync(Path.Combine(project, "nuget.config"), NugetConfig(packages, await FixtureWorkspace.Get(), Path.Combine(project, "no-such-feed")));

        foreach (var attempt in new[] { true, false })
        {
            var build = await Dotnet.Run(project, environment, Dotnet.Host, "build", "-c", "Release", "--no-restore", "-nr:false", "-v:n");
            Assert.True(build.ExitCode == 0, $"the build failed without crossgen2:\n{build}");
            Assert.Contains(" 0 Warning(s)", build.Output);
            Assert.Equal(attempt, build.Output.Contains("Sandlock.Testing.Crossgen2.proj", StringComparison.Ordinal));
            Assert.False(ReadyToRunImage.Is(Path.Combine(project, "bin", "Release", "net10.0", "xunit.execution.dotnet.dll")));
        }
        Assert.False(Directory.Exists(Path.Combine(packages, Crossgen2Package)));
    }

    /// <summary>A test project in a folder of its own: its own empty packages folder, no fallback folder, the packed feed.</summary>
    private static async Task<(string Project, string Packages, IReadOnlyDictionary<string, string> Environment)> NewProject(string nugetOrg)
    {
        var workspace = await FixtureWorkspace.Get();
        var root = Sandlock.Tests.TestSupport.RunScopedFolder.Create("sandlock-r2r-first-");
        var project = Path.Combine(root, "FirstBuild");
        var packages = Path.Combine(root, "packages");
        Directory.CreateDirectory(project);
        await File.WriteAllTextAsync(Path.Combine(project, "nuget.config"), NugetConfig(packages, workspace, nugetOrg));
        await File.WriteAllTextAsync(Path.Combine(project, "FirstBuild.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <IsTestProject>true</IsTestProject>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="xunit" Version="2.9.3" />
                <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
                <PackageReference Include="Sandlock.Testing.Xunit" Version="{workspace.Version}" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "Tests.cs"),
            "public class Tests { [Xunit.Fact, Sandlock.Testing.Xunit.Sandboxed] public void Passes() { } }\n");
        // An outer NUGET_PACKAGES would win over the project's own folder.
        return (project, packages, new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages });
    }

    private static string NugetConfig(string packages, FixtureWorkspace workspace, string secondSource) => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <config><add key="globalPackagesFolder" value="{packages}" /></config>
          <packageSources>
            <clear />
            <add key="sandlock-under-test" value="{workspace.Feed}" />
            <add key="second" value="{secondSource}" />
          </packageSources>
          <fallbackPackageFolders><clear /></fallbackPackageFolders>
        </configuration>
        """;
}
