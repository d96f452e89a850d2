using System.Text;

namespace Sandlock.Testing.Bench;

/// <summary>
/// A test project of trivial xunit (or NUnit) tests in many classes, written to a temp folder: plain, or with
/// [assembly: Sandboxed(Isolation = ...)] and Sandlock's framework, referencing the repository's projects and
/// importing what the package adds to a build beside them.
/// </summary>
internal static class GeneratedSuite
{
    /// <param name="repository">The checkout whose projects it references: this one when null (another one to compare builds).</param>
    public static string Write(string root, string name, string? isolation, int classes, int testsPerClass, string? repository = null, bool nunit = false)
    {
        if (nunit) return WriteNUnit(root, name, isolation, classes, testsPerClass, repository);
        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        repository ??= Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../.."));
        var xunitProject = Path.Combine(repository, "src/Sandlock.Testing.Xunit/Sandlock.Testing.Xunit.csproj");
        // What the package's buildTransitive adds and a project reference does not: the test frameworks' ReadyToRun
        // copies, the runtime settings of the test host and the test run's JIT setting (its task from this checkout's build).
        var readyToRun = Path.Combine(repository, "src/Sandlock.Testing/buildTransitive/Sandlock.Testing.ReadyToRun.targets");
        var tieredPgo = Path.Combine(repository, "src/Sandlock.Testing/buildTransitive/Sandlock.Testing.TieredPgo.targets");
        var tiering = Path.Combine(repository, "src/Sandlock.Testing/buildTransitive/Sandlock.Testing.TestRunTiering.targets");
        var tasks = Path.Combine(repository, "artifacts/bin/Sandlock.Testing.Tasks/release/Sandlock.Testing.Tasks.dll");
        File.WriteAllText(Path.Combine(folder, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <IsTestProject>true</IsTestProject>
                <SandlockTestingTasksAssembly>{tasks}</SandlockTestingTasksAssembly>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="xunit" Version="2.9.3" />
                <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
                {(isolation is null ? "" : $"<ProjectReference Include=\"{xunitProject}\" />")}
              </ItemGroup>
              {(isolation is null ? "" : $"<Import Project=\"{readyToRun}\" Condition=\"Exists('{readyToRun}')\" />")}
              {(isolation is null ? "" : $"<Import Project=\"{tieredPgo}\" Condition=\"Exists('{tieredPgo}')\" />")}
              {(isolation is null ? "" : $"<Import Project=\"{tiering}\" Condition=\"Exists('{tiering}')\" />")}
            </Project>
            """);
        var code = new StringBuilder();
        code.AppendLine("using Xunit;");
        if (isolation is not null)
        {
            code.AppendLine("[assembly: Xunit.TestFramework(\"Sandlock.Testing.Xunit.SandboxedTestFramework\", \"Sandlock.Testing.Xunit\")]");
            code.AppendLine($"[assembly: Sandlock.Testing.Xunit.Sandboxed(Isolation = Sandlock.Testing.SandboxIsolation.{isolation})]");
        }
        code.AppendLine("namespace Generated;");
        for (var c = 0; c < classes; c++)
        {
            code.AppendLine($"public class Class{c:00}").AppendLine("{");
            for (var t = 0; t < testsPerClass; t++) code.AppendLine($"    [Fact] public void Test{t:00}() => Assert.Equal({t + c}, {t} + {c});");
            code.AppendLine("}");
        }
        File.WriteAllText(Path.Combine(folder, "Tests.cs"), code.ToString());
        return folder;
    }

    private static string WriteNUnit(string root, string name, string? isolation, int classes, int testsPerClass, string? repository)
    {
        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        repository ??= Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../.."));
        var nunitProject = Path.Combine(repository, "src/Sandlock.Testing.NUnit/Sandlock.Testing.NUnit.csproj");
        var props = Path.Combine(repository, "src/Sandlock.Testing.NUnit/buildTransitive/Sandlock.Testing.NUnit.props");
        var readyToRun = Path.Combine(repository, "src/Sandlock.Testing/buildTransitive/Sandlock.Testing.ReadyToRun.targets");
        var tieredPgo = Path.Combine(repository, "src/Sandlock.Testing/buildTransitive/Sandlock.Testing.TieredPgo.targets");
        var tiering = Path.Combine(repository, "src/Sandlock.Testing/buildTransitive/Sandlock.Testing.TestRunTiering.targets");
        var tasks = Path.Combine(repository, "artifacts/bin/Sandlock.Testing.Tasks/release/Sandlock.Testing.Tasks.dll");
        var sandboxed = isolation is not null;
        File.WriteAllText(Path.Combine(folder, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              {(sandboxed ? $"<Import Project=\"{props}\" />" : "")}
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <IsTestProject>true</IsTestProject>
                <SandlockTestingTasksAssembly>{tasks}</SandlockTestingTasksAssembly>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                <PackageReference Include="NUnit" Version="5.0.0" />
                <PackageReference Include="NUnit3TestAdapter" Version="6.3.1" />
                {(sandboxed ? $"<ProjectReference Include=\"{nunitProject}\" />" : "")}
              </ItemGroup>
              {(sandboxed ? $"<Import Project=\"{readyToRun}\" Condition=\"Exists('{readyToRun}')\" />" : "")}
              {(sandboxed ? $"<Import Project=\"{tieredPgo}\" Condition=\"Exists('{tieredPgo}')\" />" : "")}
              {(sandboxed ? $"<Import Project=\"{tiering}\" Condition=\"Exists('{tiering}')\" />" : "")}
            </Project>
            """);
        var code = new StringBuilder();
        code.AppendLine("using NUnit.Framework;");
        if (sandboxed) code.AppendLine($"[assembly: Sandlock.Testing.NUnit.Sandboxed(Isolation = Sandlock.Testing.SandboxIsolation.{isolation})]");
        code.AppendLine("namespace Generated;");
        for (var c = 0; c < classes; c++)
        {
            code.AppendLine($"public class Class{c:00}").AppendLine("{");
            for (var t = 0; t < testsPerClass; t++) code.AppendLine($"    [Test] public void Test{t:00}() => Assert.That({t} + {c}, Is.EqualTo({t + c}));");
            code.AppendLine("}");
        }
        File.WriteAllText(Path.Combine(folder, "Tests.cs"), code.ToString());
        return folder;
    }

    /// <summary>A console app that prints one line: the bare start of .NET the fresh child is measured against.</summary>
    public static string WriteHello(string root)
    {
        var folder = Path.Combine(root, "Hello");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "Hello.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><UseAppHost>false</UseAppHost></PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), "System.Console.WriteLine(\"hello\");\n");
        return folder;
    }
}
