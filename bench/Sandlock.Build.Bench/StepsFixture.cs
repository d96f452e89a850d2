namespace Sandlock.Build.Bench;

/// <summary>A class library whose build runs 20 plain Exec steps, consuming Sandlock.Build from a local feed.</summary>
internal static class StepsFixture
{
    public const int StepCount = 20;

    public static string Create(string root, string feed, string version)
    {
        var project = Path.Combine(root, "Steps");
        Directory.CreateDirectory(project);
        var targets = string.Join("\n", Enumerable.Range(1, StepCount).Select(i =>
            $"""    <Exec Command="echo step {i} &gt; $(IntermediateOutputPath)step{i}.txt &amp;&amp; cat input.txt &gt; /dev/null" />"""));
        File.WriteAllText(Path.Combine(project, "Steps.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
              <ItemGroup><PackageReference Include="Sandlock.Build" Version="{version}" /></ItemGroup>
              <Target Name="Steps" AfterTargets="Build">
            {targets}
              </Target>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "input.txt"), "input\n");
        File.WriteAllText(Path.Combine(project, "Class1.cs"), "namespace Steps; public static class Class1 { }\n");
        File.WriteAllText(Path.Combine(root, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(root, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources><clear /><add key="bench-feed" value="{feed}" /></packageSources>
              <config><add key="globalPackagesFolder" value="{Path.Combine(root, "packages")}" /></config>
            </configuration>
            """);
        return Path.Combine(project, "Steps.csproj");
    }
}
