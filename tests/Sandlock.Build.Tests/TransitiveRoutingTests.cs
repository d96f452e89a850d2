using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>
/// A project that gets Sandlock.Build only through a ProjectReference (tests/fixtures/TransitiveRouting): NuGet
/// gives it the package's buildTransitive/ files per framework and buildMultiTargeting/ in the outer build, so
/// <c>SandlockRouteExec=true</c> confines the Exec of both.
/// </summary>
public sealed class TransitiveRoutingTests
{
    [Fact]
    public async Task The_outer_and_the_per_framework_Exec_of_a_transitive_consumer_are_routed()
    {
        var project = await FixtureProject.CopyAsync("TransitiveRouting");
        var build = await project.BuildAsync();

        Assert.True(build.ExitCode == 0, build.ToString());
        var denial = "warning SLK0001: the sandbox denied access to " + Path.Combine(project.Home, ".ssh", "id_rsa");
        Assert.Contains($"{project.ProjectFile}(14,5): {denial}", build.Output);
        Assert.Contains($"{project.ProjectFile}(18,5): {denial}", build.Output);
        Assert.DoesNotContain(FixtureProject.SecretText, build.Output);
    }
}
