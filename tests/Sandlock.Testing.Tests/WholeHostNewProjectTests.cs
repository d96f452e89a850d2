using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

/// <summary>
/// A test host confined whole as a newcomer sets one up: a new project has no repository around it yet (no .git
/// above it), and the host still reads the project's folder, where test data lies beside the tests, as a [Sandboxed]
/// test may (before, only the output folder was readable there); a [Sandboxed] test in such a host fails saying why.
/// The workspace fixtures lie in a stand-in repository and cannot show the first.
/// </summary>
public sealed class WholeHostNewProjectTests
{
    private const string ReadsData = """
        public class DataTests
        {
            private static string Data => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "data.txt"));

            @TEST@
            public void ReadsTheDataBesideTheProject() => @EQUAL@("beside the project\n", File.ReadAllText(Data));

            @TEST@
            public void ReadingTheSecretIsRefused() => @THROWS@<UnauthorizedAccessException>(() => File.ReadAllText(Environment.GetEnvironmentVariable("SANDLOCK_FIXTURE_SECRET")!));
        }
        """;

    private static readonly string VsTestHostXunit = ProjectOutsideRepository.XunitTestProject("<SandlockTestHost>true</SandlockTestHost>");

    private static string MsTestTests => "[Microsoft.VisualStudio.TestTools.UnitTesting.TestClass]\n" + Tests(
        "[Microsoft.VisualStudio.TestTools.UnitTesting.TestMethod]", "Microsoft.VisualStudio.TestTools.UnitTesting.Assert.AreEqual",
        "Microsoft.VisualStudio.TestTools.UnitTesting.Assert.ThrowsExactly");

    private static string Tests(string attribute, string equal, string throws) =>
        ReadsData.Replace("@TEST@", attribute, StringComparison.Ordinal).Replace("@EQUAL@", equal, StringComparison.Ordinal)
            .Replace("@THROWS@", throws, StringComparison.Ordinal);

    [Fact]
    public async Task AVsTestHostConfinedWholeReadsTheProjectFolderOutsideARepository()
    {
        var (project, workspace) = await NewProject("VsTestOutside", VsTestHostXunit, Tests("[Xunit.Fact]", "Xunit.Assert.Equal", "Xunit.Assert.Throws"));

        var test = await Dotnet.Run(project, workspace.Environment, Dotnet.Host, "test", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}");

        Assert.True(test.ExitCode == 0, $"the confined testhost's run failed:\n{test}");
        Assert.Contains("Passed!  - Failed:     0, Passed:     2", test.Output);
    }

    [Fact]
    public async Task ASandboxedTestInAVsTestHostConfinedWholeFailsSayingTheTwoDoNotCombine()
    {
        var (project, workspace) = await NewProject("VsTestNested", VsTestHostXunit, "public class NestedTests { [Xunit.Fact, Sandlock.Testing.Xunit.Sandboxed] public void Runs() { } [Xunit.Fact] public void RunsInTheHost() { } }\n");

        var test = await Dotnet.Run(project, workspace.Environment, Dotnet.Host, "test", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}");

        Assert.Contains("Failed!  - Failed:     1, Passed:     1", test.Output);
        Assert.Contains("[Sandboxed] cannot run in a test host that is itself confined whole (SandlockTestHost=true or --sandlock)", test.Output);
    }

    [Fact]
    public async Task DashDashSandlockInAVsTestProjectStopsTheRunInsteadOfRunningUnconfined()
    {
        // What `dotnet new mstest` makes without the Microsoft.Testing.Platform runner: a VSTest project.
        var (project, workspace) = await NewProject("VsTestMsTest", """
            <PropertyGroup><IsTestProject>true</IsTestProject></PropertyGroup>
            <ItemGroup>
              <PackageReference Include="Microsoft.NET.Test.Sdk" Version="18.0.1" />
              <PackageReference Include="MSTest.TestAdapter" Version="4.5.3" />
              <PackageReference Include="MSTest.TestFramework" Version="4.5.3" />
              <PackageReference Include="Sandlock.Testing.Platform" Version="$(SandlockVersion)" />
            </ItemGroup>
            """, MsTestTests);

        var test = await Dotnet.Run(project, workspace.Environment, Dotnet.Host, "test", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}",
            "--", "--sandlock");

        Assert.NotEqual(0, test.ExitCode);
        Assert.True(test.Output.Contains("error SLK0011: --sandlock confines a Microsoft.Testing.Platform test host, but this project runs its tests under VSTest",
            StringComparison.Ordinal), test.ToString());
        Assert.DoesNotContain("Passed!", test.Output);
    }

    [Fact]
    public async Task AMicrosoftTestingPlatformHostConfinedWholeReadsTheProjectFolderOutsideARepository()
    {
        var (project, workspace) = await NewProject("MtpOutside", ProjectOutsideRepository.MsTestPlatformApp, MsTestTests);
        var build = await Dotnet.Run(project, null, Dotnet.Host, "build", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}");
        Assert.True(build.ExitCode == 0, $"the build failed:\n{build}");

        var run = await Dotnet.Run(project, workspace.Environment, Path.Combine(project, "bin", "Release", "net10.0", "MtpOutside"), "--sandlock");

        Assert.True(run.ExitCode == 0, $"the confined host's run failed:\n{run}");
        Assert.Contains("succeeded: 2", run.Output);
    }

    private static Task<(string Project, FixtureWorkspace Workspace)> NewProject(string name, string items, string tests) =>
        ProjectOutsideRepository.Create(name, items, tests);
}
