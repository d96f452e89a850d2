namespace Sandlock.Testing.Tests.Support;

/// <summary>
/// A test project as a newcomer makes one: in a folder of its own with no .git above it, consuming the freshly packed
/// packages from the workspace's local feed (the machine's packages a fallback), data.txt beside it.
/// </summary>
public static class ProjectOutsideRepository
{
    /// <summary>An xunit v2 test project (VSTest) with Sandlock.Testing.Xunit; <paramref name="properties"/> go beside IsTestProject.</summary>
    public static string XunitTestProject(string properties = "") => $"""
        <PropertyGroup><IsTestProject>true</IsTestProject>{properties}</PropertyGroup>
        <ItemGroup>
          <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
          <PackageReference Include="xunit" Version="2.9.3" />
          <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
          <PackageReference Include="Sandlock.Testing.Xunit" Version="$(SandlockVersion)" />
        </ItemGroup>
        """;

    /// <summary>An MSTest app on Microsoft.Testing.Platform with Sandlock.Testing.Platform: <c>--sandlock</c> confines its host whole.</summary>
    public const string MsTestPlatformApp = """
        <PropertyGroup><OutputType>Exe</OutputType><EnableMSTestRunner>true</EnableMSTestRunner></PropertyGroup>
        <ItemGroup>
          <PackageReference Include="MSTest.TestAdapter" Version="4.5.3" />
          <PackageReference Include="MSTest.TestFramework" Version="4.5.3" />
          <PackageReference Include="Sandlock.Testing.Platform" Version="$(SandlockVersion)" />
        </ItemGroup>
        """;

    public static async Task<(string Project, FixtureWorkspace Workspace)> Create(string name, string items, string tests)
    {
        var workspace = await FixtureWorkspace.Get();
        var root = Sandlock.Tests.TestSupport.RunScopedFolder.Create("sandlock-outside-repo-");
        var project = Path.Combine(root, name);
        Directory.CreateDirectory(project);
        File.Copy(Path.Combine(workspace.Root, "nuget.config"), Path.Combine(root, "nuget.config"));
        await File.WriteAllTextAsync(Path.Combine(project, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
              </PropertyGroup>
            {items}
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "DataTests.cs"), tests);
        await File.WriteAllTextAsync(Path.Combine(project, "data.txt"), "beside the project\n");
        Assert.False(Directory.Exists(Path.Combine(root, ".git")));
        return (project, workspace);
    }
}
