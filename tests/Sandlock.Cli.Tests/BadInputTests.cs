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
    [InlineData("0", "expected at least 1")]
    [InlineData("-2", "expected at least 1")]
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
    public async Task A_workdir_setting_without_a_workdir_says_it_needs_one() =>
        AssertSetupError(await Run("run", "--max-disk", "1M", "--", "true"), "--max-disk: max_disk needs a workdir");

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

    // Issue 14, item 8, through the real binary: each ends in exit 125 and one "sandlock: " line (checked by
    // AssertSetupError), with no stack trace and no process left running (the runner's guard fails a hang).
    [Fact]
    public async Task Arrays_nested_64_deep_name_the_file_and_line()
    {
        var file = Policy("[filesystem]\n\nread = " + new string('[', 64) + "\"/usr\"" + new string(']', 64) + "\n");
        AssertSetupError(await Run("run", "--profile-file", file, "--", "true"), $"{file}:3:", "nested more than");
    }

    [Fact]
    public async Task Inline_tables_nested_64_deep_name_the_file_and_line()
    {
        var file = Policy("[program]\nenv = " + string.Concat(Enumerable.Repeat("{a=", 64)) + "1" + new string('}', 64) + "\n");
        AssertSetupError(await Run("run", "--profile-file", file, "--", "true"), $"{file}:2:", "nested more than");
    }

    [Theory]
    [InlineData("--net-allow")]
    [InlineData("--net-deny")]
    public async Task A_host_name_over_253_characters_names_the_flag(string flag) =>
        AssertSetupError(await Run("run", flag, new string('a', 300) + ":80", "--", "true"), flag, "at most 253");

    [Fact]
    public async Task A_label_over_63_characters_names_the_flag() =>
        AssertSetupError(await Run("run", "--net-allow", new string('a', 64) + ".example.com:443", "--", "true"), "--net-allow", "at most 63");

    [Fact]
    public async Task A_host_name_in_a_policy_file_names_the_file_and_line()
    {
        var file = Policy("[network]\nallow = [\"ok.example.com:443\",\n  \"bad..example.com:443\"]\n");
        AssertSetupError(await Run("run", "--profile-file", file, "--", "true"), $"{file}:3:", "empty label");
    }

    [Theory]
    [InlineData("/dev/zero", "a character device")]
    [InlineData("/proc/self", "a directory")]
    public async Task A_policy_file_that_is_not_a_regular_file_is_refused(string path, string kind) =>
        AssertSetupError(await Run("run", "--profile-file", path, "--", "true"), path, "not a regular file", kind);

    [Fact]
    public async Task A_fifo_as_policy_file_is_refused_without_waiting_for_a_writer()
    {
        var fifo = Path.Combine(_dir, "fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo])) await mkfifo.WaitForExitAsync();
        AssertSetupError(await Run("run", "--profile-file", fifo, "--", "true"), fifo, "a FIFO");
    }

    [Fact]
    public async Task A_50_MB_file_of_NULs_is_refused_by_its_size()
    {
        var file = Path.Combine(_dir, "nuls.toml");
        File.WriteAllBytes(file, new byte[50_000_000]);
        AssertSetupError(await Run("run", "--profile-file", file, "--", "true"), file, "larger than 1024 KiB");
    }

    [Fact]
    public async Task NULs_and_bad_UTF_8_in_a_policy_file_name_the_line()
    {
        var nul = Policy("[limits]\nmemory = \"1M\"\0\n");
        AssertSetupError(await Run("run", "--profile-file", nul, "--", "true"), $"{nul}:2:14", "NUL");
        File.WriteAllBytes(nul, [.. "[filesystem]\nread = [\"/usr"u8, 0xff, .. "\"]\n"u8]);
        AssertSetupError(await Run("run", "--profile-file", nul, "--", "true"), $"{nul}:2:14", "invalid UTF-8");
    }

    [Fact]
    public async Task Profile_show_reads_no_path_outside_the_profiles() =>
        AssertSetupError(await Run("profile", "show", "../../etc/passwd"), "invalid profile name");

    [Theory]
    [InlineData("1")]
    [InlineData("1048575")]
    public async Task A_memory_limit_no_program_can_start_in_is_refused_stating_the_minimum(string size) =>
        AssertSetupError(await Run("run", "-m", size, "--", "true"), "--max-memory", "at least 1M");

    [Fact]
    public async Task The_smallest_memory_limit_runs_and_a_command_killed_under_it_is_reported()
    {
        var r = await Run("run", "-m", "1M", "--", "sleep", "5");
        Assert.Equal(128 + 9, r.ExitCode);
        Assert.Contains("sandlock: the sandbox denied memory", r.Stderr);
        Assert.Contains("--max-memory 1M: sandbox killed", r.Stderr);
    }

    [Theory]
    [InlineData("3", "at least 4")]
    [InlineData("0", "at least 4")]
    [InlineData("2147483647", "at most")]
    public async Task An_open_file_limit_out_of_range_is_refused_not_reported_as_not_found(string value, string expected) =>
        AssertSetupError(await Run("run", "--max-open-files", value, "--", "true"), "--max-open-files", value, expected);

    [Theory]
    [InlineData]
    [InlineData("--time-start", "2000-01-01T00:00:00Z")]
    public async Task The_smallest_open_file_limit_runs_a_program_with_and_without_the_supervisor(params string[] flags)
    {
        var r = await Run(["run", "--max-open-files", "4", .. flags, "--", "sh", "-c", "ulimit -n"]);
        Assert.Equal("", r.Stderr);
        Assert.Equal("4\n", r.Stdout);
    }

    [Theory]
    [InlineData("-m", "1\nX")]
    [InlineData("--extra-deny-syscall", "a\nb")]
    [InlineData("--fs-read", "/no/such\r\nsandlock: forged")]
    [InlineData("--env", "A\u2028B")]
    public async Task A_value_holding_a_line_break_is_echoed_on_one_line(string flag, string value) =>
        AssertSetupError(await Run("run", flag, value, "--", "true"), flag);

    [Fact]
    public async Task A_command_name_holding_a_newline_is_echoed_on_one_line()
    {
        var r = await Run("run", "--", "no\nsuch");
        Assert.Equal(127, r.ExitCode);
        Assert.Equal("sandlock: no\\nsuch: command not found\n", r.Stderr);
    }

    [Theory]
    [InlineData("-t", "NaN", "--timeout")]
    [InlineData("--random-seed", "-1", "--random-seed")]
    [InlineData("-P", "2147483647", "--max-processes")]
    [InlineData("--repro-check", "2147483647", "--repro-check")]
    [InlineData("--profile-file", "", "--profile-file")]
    public async Task Numbers_and_names_out_of_range_name_the_flag(string flag, string value, string name) =>
        AssertSetupError(await Run("run", flag, value, "--", "true"), name);

    [Fact]
    public async Task An_at_sign_argument_is_not_read_as_a_response_file() =>
        AssertSetupError(await Run("run", "@/dev/zero", "-m", "12X", "--", "true"), "12X");

    [Fact]
    public async Task A_path_argument_that_is_not_UTF_8_is_refused_rather_than_read_as_another_name()
    {
        // argv bytes 0xff cannot reach .NET intact; a deny of the mangled name would leave the real file open.
        var r = await RunAs(["/bin/sh", "-c", "exec \"$0\" run --fs-deny \"$(printf '/tmp/secret\\377')\" -- true", Executable]);
        AssertSetupError(r, "--fs-deny", "not UTF-8");
    }
}
