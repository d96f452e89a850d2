using System.Diagnostics;
using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

/// <summary>
/// A project that moves to another version of its test framework gets that version in its output, compiled ahead of
/// time again: NuGet keeps a package's file times, so the new version's IL is older than the image the last build made.
/// </summary>
public sealed class ReadyToRunVersionChangeTests
{
    [Fact]
    public async Task ATestFrameworkOfAnotherVersionReplacesTheImageOfTheOneBefore()
    {
        var workspace = await FixtureWorkspace.Get();
        var project = Path.Combine(workspace.Repository, "FrameworkVersionChange");
        Directory.CreateDirectory(project);
        await File.WriteAllTextAsync(Path.Combine(project, "FrameworkVersionChange.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <IsTestProject>true</IsTestProject>
                <XunitVersion Condition="'$(XunitVersion)' == ''">2.9.2</XunitVersion>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="xunit" Version="$(XunitVersion)" />
                <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
                <PackageReference Include="Sandlock.Testing.Xunit" Version="$(SandlockVersion)" />
              </ItemGroup>
            </Project>
            """);
        await File.WriteAllTextAsync(Path.Combine(project, "Tests.cs"), "public class Tests { [Xunit.Fact] public void Passes() { } }\n");
        var engine = Path.Combine(project, "bin", "Release", "net10.0", "xunit.execution.dotnet.dll");
        foreach (var version in new[] { "2.9.2", "2.9.3" })
        {
            var build = await Dotnet.Run(project, null, Dotnet.Host,
                "build", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}", $"-p:XunitVersion={version}");
            Assert.True(build.ExitCode == 0, $"the build with xunit {version} failed:\n{build}");
            Assert.Equal(version, string.Join('.', FileVersionInfo.GetVersionInfo(engine).FileVersion!.Split('.').Take(3)));
            Assert.True(ReadyToRunImage.Is(engine), $"xunit {version}'s engine in the output is IL only");
        }
    }
}
