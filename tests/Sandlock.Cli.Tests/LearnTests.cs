using Sandlock.Policy.Files;
using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

/// <summary>
/// <c>sandlock learn</c>: one observed run writes a policy file that lets the same run pass under <c>sandlock run</c>
/// and denies what it did not do; what looks secret is never granted; the exit status is the command's.
/// </summary>
public sealed class LearnTests : IDisposable
{
    private const string Script = "cat /etc/hostname; ls /usr/share";
    private readonly string _dir = Directory.CreateTempSubdirectory("sandlock-learn-").FullName;

    public LearnTests() => File.SetUnixFileMode(_dir, (UnixFileMode)0b111_111_111);

    public void Dispose() => Directory.Delete(_dir, true);

    private string PolicyPath => Path.Combine(_dir, "p.toml");

    private SandboxPolicy ReadPolicy()
    {
        var builder = new SandboxPolicyBuilder();
        PolicyFile.Load(PolicyPath).ApplyTo(builder);
        return builder.Build();
    }

    [Fact]
    public async Task The_learned_policy_lets_the_run_pass_and_denies_another_read()
    {
        var learned = await Run("learn", "-o", PolicyPath, "--", "sh", "-c", Script);
        var again = await Run("run", "--profile-file", PolicyPath, "--", "sh", "-c", Script);
        var other = await Run("run", "--profile-file", PolicyPath, "--", "cat", "/etc/passwd");

        Assert.True(learned.ExitCode == 0, learned.Stderr);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(learned.Stdout, again.Stdout);
        Assert.Contains(File.ReadAllText("/etc/hostname"), again.Stdout);
        Assert.NotEqual(0, other.ExitCode);
        Assert.Contains("Permission denied", other.Stderr);
        var text = File.ReadAllText(PolicyPath);
        Assert.DoesNotContain("\"/\"", text);
        var policy = ReadPolicy();
        Assert.DoesNotContain("/", policy.FsReadable);
        Assert.DoesNotContain("/etc", policy.FsReadable);
        Assert.Contains("/etc/hostname", policy.FsReadable);
        Assert.Contains("\"/etc/hostname\",  # read by cat", text);
    }

    [Theory]
    [InlineData("learn")]
    [InlineData("run")]
    public async Task Without_a_command_the_usage_names_the_subcommand(string subcommand)
    {
        var r = await Run(subcommand, "-r", "/usr");

        Assert.Equal(125, r.ExitCode);
        Assert.Contains($"usage: sandlock {subcommand} [OPTIONS] -- COMMAND", r.Stderr);
    }

    [Fact]
    public async Task Without_a_file_the_policy_follows_the_commands_output_and_the_status_is_the_commands()
    {
        var r = await Run("learn", "--", "sh", "-c", "echo out; exit 3");

        Assert.Equal(3, r.ExitCode);
        Assert.StartsWith("out\n# Learned by `sandlock learn`", r.Stdout);
        Assert.Contains("[filesystem]", r.Stdout);
        Assert.Contains("processes = ", r.Stdout);
    }

    [Fact]
    public async Task Writes_are_granted_as_their_folder_and_nothing_beside_it()
    {
        var output = Directory.CreateDirectory(Path.Combine(_dir, "out")).FullName;
        var beside = Directory.CreateDirectory(Path.Combine(_dir, "beside")).FullName;
        File.SetUnixFileMode(output, (UnixFileMode)0b111_111_111);
        File.SetUnixFileMode(beside, (UnixFileMode)0b111_111_111);

        var learned = await Run("learn", "-o", PolicyPath, "--", "sh", "-c", $"echo x > {output}/a.txt");
        var again = await Run("run", "--profile-file", PolicyPath, "--", "sh", "-c", $"echo y > {output}/b.txt");
        var elsewhere = await Run("run", "--profile-file", PolicyPath, "--", "sh", "-c", $"echo z > {beside}/c.txt");

        Assert.True(learned.ExitCode == 0, learned.Stderr);
        Assert.Equal([output], ReadPolicy().FsWritable.ToArray());
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("Permission denied", elsewhere.Stderr);
        Assert.False(File.Exists(Path.Combine(beside, "c.txt")));
    }

    [Fact]
    public async Task A_secret_looking_file_is_never_granted_and_the_user_is_told()
    {
        var key = Path.Combine(Directory.CreateDirectory(Path.Combine(_dir, "keys", ".ssh")).FullName, "id_rsa");
        File.WriteAllText(key, "PRIVATE");

        var learned = await Run("learn", "-o", PolicyPath, "--", "cat", key);
        var again = await Run("run", "--profile-file", PolicyPath, "--", "cat", key);

        Assert.Equal(0, learned.ExitCode);
        Assert.Contains($"sandlock: learn: not granted: read by cat: {key}", learned.Stderr);
        Assert.Contains("# not granted: read by cat", File.ReadAllText(PolicyPath));
        Assert.DoesNotContain(ReadPolicy().FsReadable, p => p.Contains("keys", StringComparison.Ordinal));
        Assert.NotEqual(0, again.ExitCode);
        Assert.DoesNotContain("PRIVATE", again.Stdout);
    }

    [Theory]
    [InlineData("--dry-run")]
    [InlineData("--explain")]
    [InlineData("--repro-check", "2")]
    public async Task Options_that_run_the_command_otherwise_are_refused(params string[] option)
    {
        var r = await Run(["learn", .. option, "--", "true"]);
        Assert.Equal(125, r.ExitCode);
        Assert.Contains($"sandlock: {option[0]}: cannot be combined with sandlock learn", r.Stderr);
    }

    [Fact]
    public async Task An_output_file_in_a_missing_folder_is_refused_before_the_command_runs()
    {
        var marker = Path.Combine(_dir, "ran");
        var r = await Run("learn", "-o", Path.Combine(_dir, "missing", "p.toml"), "--", "touch", marker);
        Assert.Equal(125, r.ExitCode);
        Assert.Contains("--output: no such folder", r.Stderr);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public async Task A_command_that_is_not_found_gets_127_and_no_policy()
    {
        var r = await Run("learn", "-o", PolicyPath, "--", "/nonexistent/sandlock-no-such-program");
        Assert.Equal(127, r.ExitCode);
        Assert.StartsWith("sandlock: ", r.Stderr);
        Assert.False(File.Exists(PolicyPath));
    }
}
