using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Sandlock.Testing.Bench;

/// <summary>
/// `dotnet test --no-build` of a project with a few hundred trivial xunit tests, plain against the whole testhost
/// confined (SandlockTestHost=true), alternating, medians and their ratio. The project references
/// Sandlock.Testing.Xunit from a packed feed: usage `vstest-host FEED VERSION [ROUNDS]`.
/// </summary>
internal static class VsTestHostBenchmark
{
    private const int Tests = 300;

    public static async Task<int> RunAsync(string feed, string version, int rounds)
    {
        var root = Directory.CreateTempSubdirectory("sandlock-vstest-bench-").FullName;
        try
        {
            var project = Path.Combine(root, "repo", "Bench");
            Directory.CreateDirectory(Path.Combine(root, "repo", ".git"));
            Directory.CreateDirectory(project);
            var global = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            await File.WriteAllTextAsync(Path.Combine(root, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <config><add key="globalPackagesFolder" value="{Path.Combine(root, "packages")}" /></config>
                  <packageSources><clear /><add key="feed" value="{Path.GetFullPath(feed)}" /><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources>
                  <fallbackPackageFolders><add key="machine" value="{global}" /></fallbackPackageFolders>
                </configuration>
                """);
            await File.WriteAllTextAsync(Path.Combine(project, "Bench.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup><TargetFramework>net10.0</TargetFramework><IsTestProject>true</IsTestProject><SandlockTestHost>true</SandlockTestHost></PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
                    <PackageReference Include="xunit" Version="2.9.3" />
                    <PackageReference Include="xunit.runner.visualstudio" Version="3.1.5" />
                    <PackageReference Include="Sandlock.Testing.Xunit" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            var source = new StringBuilder("public class Trivial {\n");
            for (var i = 0; i < Tests; i++) source.Append(CultureInfo.InvariantCulture, $"  [Xunit.Fact] public void T{i}() => Xunit.Assert.Equal({i}, {i});\n");
            await File.WriteAllTextAsync(Path.Combine(project, "Trivial.cs"), source.Append("}\n").ToString());
            await DotnetAsync(project, "build", "-c", "Release", "-nr:false");

            var plain = new List<double>();
            var confined = new List<double>();
            for (var round = -1; round < rounds; round++)
            {
                foreach (var on in round % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    var clock = Stopwatch.StartNew();
                    await DotnetAsync(project, "test", "--no-build", "-c", "Release", "-nr:false", $"-p:SandlockTestHost={(on ? "true" : "false")}");
                    if (round >= 0) (on ? confined : plain).Add(clock.Elapsed.TotalMilliseconds);
                }
            }
            static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
            Console.WriteLine($"{rounds} rounds of dotnet test --no-build, {Tests} trivial xunit tests");
            Console.WriteLine("| variant | median | ratio to plain |");
            Console.WriteLine("|---|---|---|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| plain testhost | {Median(plain):0} ms | 1.00 |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| whole testhost confined (SandlockTestHost=true) | {Median(confined):0} ms | {Median(confined) / Median(plain):0.00} |"));
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task DotnetAsync(string directory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet", arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || arguments[0] == "test" && !(await output).Contains($"Passed:   {Tests}", StringComparison.Ordinal))
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed (exit {process.ExitCode}):\n{await output}\n{await error}");
    }
}
