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
        var folder = Path.Combine(root, name);
        Directory.CreateDirectory(folder);
        repository ??= Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../.."));
        var sandboxed = isolation is not null;
        var framework = nunit ? "NUnit" : "Xunit";
        var project = Path.Combine(repository, $"src/Sandlock.Testing.{framework}/Sandlock.Testing.{framework}.csproj");
        // What the package's build adds and a project reference does not: NUnit's assembly action, the test frameworks'
        // ReadyToRun copies, the runtime settings of the test host and the test run's JIT setting (its task from this
        // checkout's build).
        string[] props = nunit ? [Path.Combine(repository, "src/Sandlock.Testing.NUnit/buildTransitive/Sandlock.Testing.NUnit.props")] : [];
        string[] targets = [.. new[] { "ReadyToRun", "TieredPgo", "TestRunTiering" }
            .Select(t => Path.Combine(repository, $"src/Sandlock.Testing/buildTransitive/Sandlock.Testing.{t}.targets"))];
        var tasks = Path.Combine(repository, "artifacts/bin/Sandlock.Testing.Tasks/release/Sandlock.Testing.Tasks.dll");
        string Imports(IEnumerable<string> files) =>
            sandboxed ? string.Join("\n  ", files.Select(f => $"<Import Project=\"{f}\" Condition=\"Exists('{f}')\" />")) : "";
        string[] packages = nunit
            ? ["Microsoft.NET.Test.Sdk/18.0.1", "NUnit/5.0.0", "NUnit3TestAdapter/6.3.1"]
            : ["Microsoft.NET.Test.Sdk/18.0.1", "xunit/2.9.3", "xunit.runner.visualstudio/3.1.5"];
        File.WriteAllText(Path.Combine(folder, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              {Imports(props)}
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <IsTestProject>true</IsTestProject>
                <SandlockTestingTasksAssembly>{tasks}</SandlockTestingTasksAssembly>
              </PropertyGroup>
              <ItemGroup>
                {string.Join("\n    ", packages.Select(p => p.Split('/')).Select(p => $"<PackageReference Include=\"{p[0]}\" Version=\"{p[1]}\" />"))}
                {(sandboxed ? $"<ProjectReference Include=\"{project}\" />" : "")}
              </ItemGroup>
              {Imports(targets)}
            </Project>
            """);
        var code = new StringBuilder();
        code.AppendLine(nunit ? "using NUnit.Framework;" : "using Xunit;");
        if (sandboxed && !nunit)
            code.AppendLine("[assembly: Xunit.TestFramework(\"Sandlock.Testing.Xunit.SandboxedTestFramework\", \"Sandlock.Testing.Xunit\")]");
        if (sandboxed) code.AppendLine($"[assembly: Sandlock.Testing.{framework}.Sandboxed(Isolation = Sandlock.Testing.SandboxIsolation.{isolation})]");
        code.AppendLine("namespace Generated;");
        for (var c = 0; c < classes; c++)
        {
            code.AppendLine($"public class Class{c:00}").AppendLine("{");
            for (var t = 0; t < testsPerClass; t++)
                code.AppendLine(nunit
                    ? $"    [Test] public void Test{t:00}() => Assert.That({t} + {c}, Is.EqualTo({t + c}));"
                    : $"    [Fact] public void Test{t:00}() => Assert.Equal({t + c}, {t} + {c});");
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
