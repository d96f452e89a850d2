using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>&lt;SandlockExec&gt; under the default policy, built for real with the packed package.</summary>
public sealed class SandlockExecConfinementTests
{
    [Fact]
    public async Task Reading_a_secret_outside_the_policy_fails_the_build_with_SLK0001()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("ReadSecret");

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error SLK0001: the sandbox denied access to " + Path.Combine(project.Home, ".ssh", "id_rsa"), build.Output);
        Assert.Contains("ReadPaths=", build.Output);
        Assert.DoesNotContain(FixtureProject.SecretText, build.Output);
    }

    [Fact]
    public async Task The_users_git_configuration_is_read_by_default_and_never_written()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var config = Path.Combine(project.Home, ".gitconfig");
        await File.WriteAllTextAsync(config, "[user]\n\tname = Sandlock Tester\n");

        var read = await project.BuildAsync("ReadGitConfig");
        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Contains("name = Sandlock Tester", read.Output);

        var write = await project.BuildAsync("WriteGitConfig");
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("error SLK0001: the sandbox denied access to " + config, write.Output);
        Assert.DoesNotContain("alias", await File.ReadAllTextAsync(config));
    }

    [Fact]
    public async Task The_same_read_succeeds_when_ReadPaths_allows_it()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("ReadSecretAllowed");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains(FixtureProject.SecretText, build.Output);
    }

    [Fact]
    public async Task ConsoleToMSBuild_round_trips_the_output()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("EchoHi");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("CONSOLE=hi" + Environment.NewLine, build.Output);
    }

    [Fact]
    public async Task Secret_looking_variables_are_not_passed_but_explicit_ones_are()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("Environment", environment: new Dictionary<string, string>
        {
            ["GITHUB_TOKEN"] = "ghp_leak", ["MY_API_KEY"] = "k_leak", ["PLAIN_SETTING"] = "visible",
        });

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("ENV=token=[] key=[] plain=[visible] given=[passed] tmp=[/", build.Output);
        Assert.DoesNotContain("ghp_leak", build.Output.Replace("GITHUB_TOKEN=ghp_leak", ""));
    }

    [Fact]
    public async Task Writes_go_to_obj_and_the_step_temp_folder_only()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("Writes");

        Assert.Contains("INSIDE_OK", build.Output);
        Assert.True(File.Exists(Path.Combine(project.Directory, "obj", "written.txt")), build.ToString());
        Assert.False(File.Exists(Path.Combine(project.Home, "planted.txt")));
        Assert.Contains("warning SLK0001: the sandbox denied access to " + Path.Combine(project.Home, "planted.txt"), build.Output);
    }

    [Fact]
    public async Task MaxProcesses_lets_a_step_fork_up_to_the_limit_and_no_further()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("Processes");

        // MSBuild echoes each command too: the markers are looked for as lines of their own.
        Assert.Matches(@"(?m)^\s*PROCESSES_OK\r?$", build.Output);
        // Under 2 tasks the step's shell gets one child; the next fork fails with EAGAIN.
        Assert.Contains("Cannot fork", build.Output);
        Assert.DoesNotMatch(@"(?m)^\s*NOT_REACHED\r?$", build.Output);
        Assert.Contains("warning SLK0001: the sandbox denied fork over the process limit (max_processes 2: ", build.Output);
        Assert.Contains("raise MaxProcesses on the task, or processes under [limits]", build.Output);
    }

    [Fact]
    public async Task SandlockEnabled_false_runs_unconfined_with_a_warning()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("ReadSecret", new Dictionary<string, string> { ["SandlockEnabled"] = "false" });

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("warning SLK0006: SandlockEnabled is false: the command runs unconfined", build.Output);
        Assert.Contains(FixtureProject.SecretText, build.Output);
    }

    [Fact]
    public async Task TimeStart_sets_the_clock_of_the_command()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("TimeStart");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("YEAR=1999", build.Output);
    }

    [Fact]
    public async Task A_step_sees_only_its_own_processes_in_proc()
    {
        var project = await FixtureProject.CopyAsync("BuildSteps");
        var build = await project.BuildAsync("ProcView");

        Assert.True(build.ExitCode == 0, build.ToString());
        var pids = build.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("PIDS=")).Split("PIDS=")[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(pids.Length, 1, 8); // the step's shell and its pipeline
        Assert.DoesNotContain("1", pids);
        Assert.Contains("HIDDEN", build.Output);
    }

    [Fact]
    public async Task Port_remapping_from_the_policy_file_logs_the_real_port()
    {
        var held = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        held.Start();
        try
        {
            var port = ((System.Net.IPEndPoint)held.LocalEndpoint).Port;
            var project = await FixtureProject.CopyAsync("BuildSteps");
            await File.WriteAllTextAsync(Path.Combine(project.Directory, "port-remap.toml"), $"[network]\nport_remap = true\nallow_bind = [{port}]\n");
            var build = await project.BuildAsync("PortRemap", new Dictionary<string, string> { ["VirtualPort"] = port.ToString() });

            Assert.True(build.ExitCode == 0, build.ToString());
            Assert.Contains($"BOUND {port}", build.Output);
            var logged = build.Output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith($"the sandbox bound port {port}/tcp -> "));
            Assert.NotEqual(port.ToString(), logged.Split("-> ")[1].Split(' ')[0]);
        }
        finally
        {
            held.Stop();
        }
    }
}
