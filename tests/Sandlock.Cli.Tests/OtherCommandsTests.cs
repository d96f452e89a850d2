using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

public sealed class OtherCommandsTests
{
    [Fact]
    public async Task Check_reports_the_landlock_abi_and_each_protection()
    {
        var r = await Run("check");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("landlock: ABI", r.Stdout);
        Assert.Contains("TCP bind/connect ports", r.Stdout);
        Assert.Contains("seccomp", r.Stdout);
        // Every right by name ("Write" alone read as if only writes were handled); "all" when it is all of them.
        Assert.Contains("filesystem rights handled at this ABI: all (Execute, WriteFile, ReadFile, ReadDir,", r.Stdout);
    }

    [Fact]
    public async Task Version_prints_the_tools_informational_version_as_the_version_option_does()
    {
        var r = await Run("--version");
        Assert.Equal(0, r.ExitCode);
        var informational = System.Diagnostics.FileVersionInfo.GetVersionInfo(Path.ChangeExtension(Executable, ".dll")).ProductVersion;
        Assert.False(string.IsNullOrEmpty(informational));
        Assert.Equal(informational, r.Stdout.Trim());
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public async Task Sandlock_alone_prints_its_usage()
    {
        var r = await Run();
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("Usage:", r.Stdout);
        Assert.Contains("run", r.Stdout);
        Assert.DoesNotContain("Required command", r.Stdout + r.Stderr);
    }

    [Fact]
    public async Task Run_help_tells_what_works_what_is_not_built_and_the_protection_names()
    {
        var r = await Run("run", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.DoesNotContain("later", r.Stdout);
        Assert.Contains("HOST:PORT", r.Stdout);
        Assert.DoesNotContain("(not supported yet)", r.Stdout);
        foreach (var protection in ProtectionNames.All) Assert.Contains(protection, r.Stdout);
    }

    [Fact]
    public async Task Profiles_are_listed_and_shown_from_the_config_folder()
    {
        var home = Directory.CreateTempSubdirectory("sandlock-home-").FullName;
        try
        {
            var profiles = Directory.CreateDirectory(Path.Combine(home, "sandlock", "profiles")).FullName;
            File.WriteAllText(Path.Combine(profiles, "build.toml"), "[filesystem]\nread = [\"/usr\"]\n");
            Environment.SetEnvironmentVariable("XDG_CONFIG_HOME", home);
            var list = await Run("profile", "list");
            var show = await Run("profile", "show", "build");
            var missing = await Run("profile", "show", "nope");
            var used = await Run("run", "-p", "build", "--", "cat", "/etc/hostname");
            Assert.Equal("build\n", list.Stdout);
            Assert.Contains("read = [\"/usr\"]", show.Stdout);
            Assert.Equal(125, missing.ExitCode);
            Assert.Contains("build", missing.Stderr);
            Assert.NotEqual(0, used.ExitCode);
        }
        finally
        {
            Environment.SetEnvironmentVariable("XDG_CONFIG_HOME", null);
            Directory.Delete(home, true);
        }
    }
}
