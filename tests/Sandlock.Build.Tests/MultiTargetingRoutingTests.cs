using System.Text.RegularExpressions;
using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>
/// <c>SandlockRouteExec=true</c> in a <c>&lt;TargetFrameworks&gt;</c> project (tests/fixtures/MultiTargeting): the
/// outer build, which NuGet gives the package's buildMultiTargeting/ files rather than build/, routes its Exec too
/// (a front-end step before DispatchToInnerBuilds, a step of <c>dotnet pack</c>), and an Exec that runs during
/// restore, where no package is imported, is named by warning SLK0009.
/// </summary>
public sealed partial class MultiTargetingRoutingTests
{
    private const string Fixture = "MultiTargeting";

    [Fact]
    public async Task The_outer_build_step_runs_confined_and_may_write_what_its_policy_file_allows()
    {
        var project = await FixtureProject.CopyAsync(Fixture);
        var build = await project.BuildAsync();

        Assert.True(build.ExitCode == 0, build.ToString());
        // Once, in the outer build (no TargetFramework), before both per-framework builds.
        Assert.Single(Lines(build.Output, "FRONT_END_BUILT in []"));
        Assert.Equal("bundle\n", File.ReadAllText(Path.Combine(project.Directory, "wwwroot", "bundle.js")));
        Assert.True(File.Exists(Path.Combine(project.Directory, "bin", "Debug", "net10.0", "MultiTargeting.dll")), build.ToString());
        Assert.True(File.Exists(Path.Combine(project.Directory, "bin", "Debug", "net10.0-browser", "MultiTargeting.dll")), build.ToString());
        Assert.DoesNotContain("SLK0006", build.Output);
        Assert.DoesNotContain("SLK0009", build.Output);
    }

    [Fact]
    public async Task The_outer_build_step_cannot_read_a_secret()
    {
        var project = await FixtureProject.CopyAsync(Fixture);
        var build = await project.BuildAsync(properties: new Dictionary<string, string> { ["TrySecret"] = "true" });

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error SLK0001: the sandbox denied access to " + Path.Combine(project.Home, ".ssh", "id_rsa"), build.Output);
        Assert.DoesNotContain(FixtureProject.SecretText, build.Output);
    }

    [Fact]
    public async Task The_outer_build_step_cannot_write_outside_the_tree()
    {
        var project = await FixtureProject.CopyAsync(Fixture);
        var build = await project.BuildAsync(properties: new Dictionary<string, string> { ["TryWriteOutside"] = "true" });

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error SLK0001: the sandbox denied access to " + Path.Combine(project.Home, "planted.txt"), build.Output);
        Assert.False(File.Exists(Path.Combine(project.Home, "planted.txt")));
    }

    [Fact]
    public async Task A_step_of_dotnet_pack_in_the_outer_build_is_routed()
    {
        var project = await FixtureProject.CopyAsync(Fixture);
        var pack = await project.PackAsync(new Dictionary<string, string> { ["TrySecretAtPack"] = "true" });

        Assert.NotEqual(0, pack.ExitCode);
        Assert.Contains("error SLK0001: the sandbox denied access to " + Path.Combine(project.Home, ".ssh", "id_rsa"), pack.Output);
        Assert.DoesNotContain(FixtureProject.SecretText, pack.Output);
    }

    [Fact]
    public async Task An_Exec_that_runs_during_restore_is_named_by_a_warning_at_its_target()
    {
        var project = await FixtureProject.CopyAsync(Fixture);
        var build = await project.BuildAsync(properties: new Dictionary<string, string> { ["WithRestoreStep"] = "true" });

        Assert.True(build.ExitCode == 0, build.ToString());
        var line = Array.FindIndex(File.ReadAllLines(project.ProjectFile), l => l.Contains("<Target Name=\"RestoreStep\"", StringComparison.Ordinal)) + 1;
        // Once per build (the console logger shows a warning both in its project's log and where it happened).
        var warning = Assert.Single(Lines(build.Output, $"{project.ProjectFile}({line},3): warning SLK0009: target \"RestoreStep\" runs during NuGet restore")
            .Select(l => NodePrefix().Replace(l, "")).Distinct());
        Assert.Contains("runs unconfined", warning);
        Assert.NotEmpty(Lines(build.Output, "RESTORE_STEP_RAN"));
        // A target that only restore's per-framework evaluation has (an import conditioned on TargetFramework).
        var perFramework = Path.Combine(project.Directory, "browser-restore.targets");
        Assert.Single(Lines(build.Output, $"{perFramework}(4,3): warning SLK0009: target \"BrowserRestoreStep\" runs during NuGet restore")
            .Select(l => NodePrefix().Replace(l, "")).Distinct());
        Assert.NotEmpty(Lines(build.Output, "BROWSER_RESTORE_STEP_RAN"));
    }

    [Fact]
    public async Task A_later_build_repeats_the_restore_time_warnings_from_obj_until_an_import_or_property_changes()
    {
        var project = await FixtureProject.CopyAsync(Fixture);
        var withRestoreStep = new Dictionary<string, string> { ["WithRestoreStep"] = "true" };
        const string Reused = "no import changed since an earlier build";

        var first = await project.BuildAsync(properties: withRestoreStep);
        var second = await project.BuildAsync(properties: withRestoreStep);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.DoesNotContain(Reused, first.Output);
        Assert.Contains(Reused, second.Output);
        foreach (var build in new[] { first, second })
            Assert.NotEmpty(Lines(build.Output, "warning SLK0009: target \"BrowserRestoreStep\" runs during NuGet restore"));

        var imported = Path.Combine(project.Directory, "browser-restore.targets");
        await File.WriteAllTextAsync(imported, (await File.ReadAllTextAsync(imported)).Replace("\"BrowserRestoreStep\"", "\"RenamedRestoreStep\"", StringComparison.Ordinal));
        var renamed = await project.BuildAsync(properties: withRestoreStep);
        Assert.True(renamed.ExitCode == 0, renamed.ToString());
        Assert.DoesNotContain(Reused, renamed.Output);
        Assert.NotEmpty(Lines(renamed.Output, "warning SLK0009: target \"RenamedRestoreStep\" runs during NuGet restore"));
        Assert.Empty(Lines(renamed.Output, "target \"BrowserRestoreStep\" runs during NuGet restore"));

        // Other global properties, another evaluation: the steps' conditions are false now.
        var without = await project.BuildAsync();
        Assert.True(without.ExitCode == 0, without.ToString());
        Assert.DoesNotContain(Reused, without.Output);
        Assert.DoesNotContain("SLK0009", without.Output);
    }

    [Fact]
    public async Task A_warm_node_repeats_the_restore_time_warnings_and_sees_a_changed_or_new_import()
    {
        var project = await FixtureProject.CopyAsync(Fixture);
        var nodes = $"sandlock-test-{Guid.NewGuid():N}";
        var withRestoreStep = new Dictionary<string, string> { ["WithRestoreStep"] = "true" };
        const string Reused = "no import changed since an earlier build";
        try
        {
            var first = await project.BuildInReusedNodesAsync(nodes, withRestoreStep);
            var second = await project.BuildInReusedNodesAsync(nodes, withRestoreStep);
            Assert.True(first.ExitCode == 0, first.ToString());
            Assert.True(second.ExitCode == 0, second.ToString());
            Assert.DoesNotContain(Reused, first.Output);
            Assert.Contains(Reused, second.Output);
            foreach (var build in new[] { first, second })
            {
                Assert.NotEmpty(Lines(build.Output, "warning SLK0009: target \"RestoreStep\" runs during NuGet restore"));
                Assert.NotEmpty(Lines(build.Output, "warning SLK0009: target \"BrowserRestoreStep\" runs during NuGet restore"));
            }

            // An imported file changed: evaluated again, the renamed target named.
            var imported = Path.Combine(project.Directory, "browser-restore.targets");
            await File.WriteAllTextAsync(imported, (await File.ReadAllTextAsync(imported)).Replace("\"BrowserRestoreStep\"", "\"RenamedRestoreStep\"", StringComparison.Ordinal));
            var renamed = await project.BuildInReusedNodesAsync(nodes, withRestoreStep);
            Assert.True(renamed.ExitCode == 0, renamed.ToString());
            Assert.DoesNotContain(Reused, renamed.Output);
            Assert.NotEmpty(Lines(renamed.Output, "warning SLK0009: target \"RenamedRestoreStep\" runs during NuGet restore"));
            Assert.Empty(Lines(renamed.Output, "target \"BrowserRestoreStep\" runs during NuGet restore"));

            // A Directory.Build.targets that did not exist before, nearer the project than the one above it.
            await File.WriteAllTextAsync(Path.Combine(project.Directory, "Directory.Build.targets"), """
                <Project>
                  <Target Name="NewRestoreStep" AfterTargets="_GenerateRestoreGraph"><Exec Command="echo NEW_RESTORE_STEP_RAN" /></Target>
                </Project>
                """);
            var added = await project.BuildInReusedNodesAsync(nodes, withRestoreStep);
            Assert.True(added.ExitCode == 0, added.ToString());
            Assert.DoesNotContain(Reused, added.Output);
            Assert.NotEmpty(Lines(added.Output, "warning SLK0009: target \"NewRestoreStep\" runs during NuGet restore"));
        }
        finally
        {
            await project.ShutDownNodesAsync(nodes);
        }
    }

    [Fact]
    public async Task An_unprivileged_build_routes_the_outer_build_step_too()
    {
        var project = await FixtureProject.CopyAsync(Fixture, unprivileged: true);
        var allowed = await project.BuildAsync();
        var secret = await project.BuildAsync(properties: new Dictionary<string, string> { ["TrySecret"] = "true" });

        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.Single(Lines(allowed.Output, "FRONT_END_BUILT in []"));
        Assert.NotEqual(0, secret.ExitCode);
        Assert.Contains("error SLK0001: the sandbox denied access to " + Path.Combine(project.Home, ".ssh", "id_rsa"), secret.Output);
        Assert.DoesNotContain(FixtureProject.SecretText, secret.Output);
    }

    [GeneratedRegex(@"^\s*(\d+>)?")]
    private static partial Regex NodePrefix();

    // Lines that hold the text, leaving out MSBuild's echo of the command.
    private static string[] Lines(string output, string text) =>
        [.. output.Split('\n').Where(l => l.Contains(text, StringComparison.Ordinal) && !l.Contains("echo ", StringComparison.Ordinal))];
}
