using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

/// <summary>Bad input exits 125 with one line that names the flag, file or value.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sandlock-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Policy(string toml)
    {
        var path = Path.Combine(_dir, "sandlock.toml");
        File.WriteAllText(path, toml);
        return path;
    }

    private static void AssertSetupError(Outcome r, params string[] mentions)
    {
        Assert.Equal(125, r.ExitCode);
        Assert.StartsWith("sandlock: ", r.Stderr);
        Assert.Single(r.Stderr.TrimEnd('\n').Split('\n'));
        foreach (var m in mentions) Assert.Contains(m, r.Stderr);
    }

    [Fact]
    public async Task A_bad_size_names_the_value() => AssertSetupError(await Run("run", "-m", "12X", "--", "true"), "12X", "--max-memory");

    [Fact]
    public async Task A_bad_port_spec_names_the_value() => AssertSetupError(await Run("run", "--net-allow", ":99999", "--", "true"), "99999", "--net-allow");

    [Fact]
    public async Task A_missing_path_is_named() => AssertSetupError(await Run("run", "-r", "/no/such/place", "--", "true"), "/no/such/place");

    [Fact]
    public async Task An_empty_command_is_refused() => AssertSetupError(await Run("run", "-r", "/usr"), "no command");

    [Fact]
    public async Task An_unknown_flag_is_refused() => AssertSetupError(await Run("run", "--no-such-flag", "--", "true"), "--no-such-flag");

    [Fact]
    public async Task A_bad_number_is_refused() => AssertSetupError(await Run("run", "-P", "lots", "--", "true"), "lots");

    [Theory]
    [InlineData("0", "expected from 1")]
    [InlineData("-2", "expected from 1")]
    [InlineData("ten", "expected a whole number")]
    public async Task A_bad_process_limit_names_the_flag_and_value(string value, string expected) =>
        AssertSetupError(await Run("run", "-P", value, "--", "true"), "--max-processes", value, expected);

    [Fact]
    public async Task A_bad_time_start_names_the_flag_and_the_expected_form() =>
        AssertSetupError(await Run("run", "--time-start", "next tuesday", "--", "true"), "--time-start", "next tuesday", "ISO 8601");

    [Fact]
    public async Task A_bad_time_start_in_a_policy_file_names_the_file_and_line()
    {
        var file = Policy("[determinism]\ntime_start = \"2000-13-01\"\n");
        AssertSetupError(await Run("run", "--profile-file", file, "--", "true"), $"{file}:2", "ISO 8601");
    }

    [Fact]
    public async Task A_later_feature_says_not_supported_yet() =>
        AssertSetupError(await Run("run", "--http-allow", "GET example.com/*", "--", "true"), "not supported yet: http_allow");

    [Fact]
    public async Task Malformed_toml_points_at_the_line()
    {
        var file = Policy("[filesystem]\nread = [\"/usr\"\n");
        AssertSetupError(await Run("run", "--profile-file", file, "--", "true"), file + ":", "invalid TOML");
    }

    [Fact]
    public async Task An_unknown_key_is_named_with_file_and_line()
    {
        var file = Policy("[filesystem]\nread = [\"/usr\"]\nreed = [\"/etc\"]\n");
        AssertSetupError(await Run("run", "--profile-file", file, "--", "true"), "reed", $"{file}:3");
    }

    [Fact]
    public async Task A_bad_size_in_a_file_names_file_and_line()
    {
        var file = Policy("[limits]\nmemory = \"12X\"\n");
        AssertSetupError(await Run("run", "--profile-file", file, "--", "true"), "12X", $"{file}:2");
    }

    [Fact]
    public async Task A_policy_file_confines_like_the_flags()
    {
        var file = Policy("[filesystem]\nread = [\"/usr\", \"/lib\", \"/bin\"]\n[program]\nexec = \"cat\"\nargs = [\"/etc/hostname\"]\n");
        var r = await Run("run", "--profile-file", file);
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("Permission denied", r.Stderr);
    }
}
