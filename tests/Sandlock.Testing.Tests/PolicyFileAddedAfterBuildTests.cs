using Sandlock.Testing.Tests.Support;

namespace Sandlock.Testing.Tests;

/// <summary>
/// A sandlock.toml put beside a project after its build is the project's policy at the next run, built again or not
/// (<c>dotnet test --no-build</c>): before, the build recorded that there was none, and every front door ran the tests
/// under the default policy without a word. Here the file grants a read the default refuses; the run before it
/// shows the refusal.
/// </summary>
public sealed class PolicyFileAddedAfterBuildTests
{
    private const string ReadsSecret = """
        public class DataTests
        {
            @TEST@
            public void ReadsTheFileThePolicyAllows() => @EQUAL@("top secret\n", File.ReadAllText(Environment.GetEnvironmentVariable("SANDLOCK_FIXTURE_SECRET")!));
        }
        """;

    private static string XunitTests(string attribute) =>
        ReadsSecret.Replace("@TEST@", attribute, StringComparison.Ordinal).Replace("@EQUAL@", "Xunit.Assert.Equal", StringComparison.Ordinal);

    /// <summary>`dotnet test --no-build` of the xunit project: refused under the default policy, passing with the added file.</summary>
    private static Task AssertOnlyThePolicyFileLetsADotnetTestRunPass(string project, FixtureWorkspace workspace) =>
        AssertOnlyThePolicyFileLetsItPass(project, workspace, () =>
            Dotnet.Run(project, workspace.Environment, Dotnet.Host, "test", "--no-build", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}"),
            "Passed!  - Failed:     0, Passed:     1", "Failed!  - Failed:     1, Passed:     0");

    [Fact]
    public async Task ASandboxedTestRunWithoutBuildingReadsTheAddedPolicyFile()
    {
        var (project, workspace) = await ProjectOutsideRepository.Create("SandboxedAdded",
            ProjectOutsideRepository.XunitTestProject(),
            XunitTests("[Xunit.Fact, Sandlock.Testing.Xunit.Sandboxed]"));
        await Build(project, workspace);

        await AssertOnlyThePolicyFileLetsADotnetTestRunPass(project, workspace);
    }

    [Fact]
    public async Task AVsTestHostConfinedWholeRunWithoutBuildingReadsTheAddedPolicyFile()
    {
        var (project, workspace) = await ProjectOutsideRepository.Create("VsTestAdded",
            ProjectOutsideRepository.XunitTestProject("<SandlockTestHost>true</SandlockTestHost>"),
            XunitTests("[Xunit.Fact]"));
        await Build(project, workspace);

        await AssertOnlyThePolicyFileLetsADotnetTestRunPass(project, workspace);
    }

    [Fact]
    public async Task AMicrosoftTestingPlatformHostConfinedWholeReadsThePolicyFileAddedAfterItsBuild()
    {
        var (project, workspace) = await ProjectOutsideRepository.Create("MtpAdded", ProjectOutsideRepository.MsTestPlatformApp, "[Microsoft.VisualStudio.TestTools.UnitTesting.TestClass]\n" + ReadsSecret
                .Replace("@TEST@", "[Microsoft.VisualStudio.TestTools.UnitTesting.TestMethod]", StringComparison.Ordinal)
                .Replace("@EQUAL@", "Microsoft.VisualStudio.TestTools.UnitTesting.Assert.AreEqual", StringComparison.Ordinal));
        await Build(project, workspace);

        await AssertOnlyThePolicyFileLetsItPass(project, workspace, () =>
            Dotnet.Run(project, workspace.Environment, Path.Combine(project, "bin", "Release", "net10.0", "MtpAdded"), "--sandlock"),
            "succeeded: 1", "failed: 1");
    }

    private static async Task Build(string project, FixtureWorkspace workspace)
    {
        var build = await Dotnet.Run(project, null, Dotnet.Host, "build", "-c", "Release", "-nr:false", $"-p:SandlockVersion={workspace.Version}");
        Assert.True(build.ExitCode == 0, $"the build failed:\n{build}");
    }

    private static async Task AssertOnlyThePolicyFileLetsItPass(string project, FixtureWorkspace workspace, Func<Task<Dotnet.Outcome>> run,
        string passed, string failed)
    {
        var refused = await run();
        Assert.True(refused.Output.Contains(failed, StringComparison.Ordinal), $"the default policy let the test read the file:\n{refused}");

        await File.WriteAllTextAsync(Path.Combine(project, "sandlock.toml"),
            $"[filesystem]\nread = [\"{Path.GetDirectoryName(workspace.SecretFile)}\"]\n");
        var allowed = await run();

        Assert.True(allowed.ExitCode == 0 && allowed.Output.Contains(passed, StringComparison.Ordinal),
            $"the run after sandlock.toml was added did not use it:\n{allowed}");
    }
}
