using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>sandlock.toml beside the project (or $(SandlockPolicyFile)), its errors, and task parameters over it.</summary>
public sealed class PolicyFileTests
{
    [Fact]
    public async Task A_malformed_policy_file_is_an_error_at_file_line_and_column()
    {
        var project = await FixtureProject.CopyAsync("PolicyFiles");
        var policy = Path.Combine(project.Directory, "sandlock.toml");
        await File.WriteAllTextAsync(policy, "[filesystem]\nread = [\"/usr\"]\nreed = [\"/tmp\"]\n");

        var build = await project.BuildAsync("ReadSecret");

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"{policy}(3,1): error SLK0002: unknown key 'reed' in [filesystem]", build.Output);
    }

    [Fact]
    public async Task A_bad_value_points_at_its_line_and_column()
    {
        var project = await FixtureProject.CopyAsync("PolicyFiles");
        var policy = Path.Combine(project.Directory, "sandlock.toml");
        await File.WriteAllTextAsync(policy, "# build steps\n[filesystem]\nread = [\"/no/such/folder\"]\n");

        var build = await project.BuildAsync("ReadSecret");

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"{policy}(3,9): error SLK0002: path does not exist: /no/such/folder", build.Output);
    }

    [Fact]
    public async Task The_policy_file_beside_the_project_allows_a_read_and_a_denial_names_its_line()
    {
        var project = await FixtureProject.CopyAsync("PolicyFiles");
        var policy = Path.Combine(project.Directory, "sandlock.toml");
        await File.WriteAllTextAsync(policy, $"[filesystem]\nread = [\"{project.Home}/.ssh\"]\n");

        var allowed = await project.BuildAsync("ReadSecret");
        var deniedByParameter = await project.BuildAsync("ReadSecretDeniedByParameter");

        Assert.True(allowed.ExitCode == 0, allowed.ToString());
        Assert.Contains(FixtureProject.SecretText, allowed.Output);
        Assert.NotEqual(0, deniedByParameter.ExitCode);
        Assert.Contains($"under [filesystem] in {policy}(2)", deniedByParameter.Output);
    }

    [Fact]
    public async Task SandlockPolicyFile_names_another_file()
    {
        var project = await FixtureProject.CopyAsync("PolicyFiles");
        var policy = Path.Combine(project.Directory, "steps.policy.toml");
        await File.WriteAllTextAsync(policy, "[limits]\ngpu_devices = [0]\n");

        var build = await project.BuildAsync("ReadSecret", new Dictionary<string, string> { ["SandlockPolicyFile"] = policy });

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains($"{policy}(2,15): error SLK0003: not supported yet: gpu_devices", build.Output);
    }
}
