using Sandlock.Policy.Files;
using Sandlock.Testing.Learning;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Tests;

/// <summary>
/// Learn mode of [Sandboxed] tests on the real kernel: a failed test's command runs again observed, and the policy
/// written for it lets that command pass under the test's own policy; a run without failures writes nothing.
/// </summary>
public sealed class FailedTestLearningTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sandlock-learn-tests-").FullName;

    public FailedTestLearningTests() => File.SetUnixFileMode(_dir, (UnixFileMode)0b111_111_111);

    public void Dispose() => Directory.Delete(_dir, true);

    private static SandboxPolicyBuilder TestPolicy()
    {
        var builder = new SandboxPolicyBuilder();
        foreach (var path in new[] { "/usr", "/lib", "/lib64", "/bin", "/etc" }.Where(Path.Exists)) builder.FsRead(path);
        return builder;
    }

    private static ChildTestResult Failed => ChildTestResult.Failed("T", "System.UnauthorizedAccessException", "Access to the path is denied.", null, "", TimeSpan.Zero);

    [Fact]
    public async Task A_failed_test_is_run_again_observed_and_its_needs_are_written()
    {
        var data = Directory.CreateDirectory(Path.Combine(_dir, "data")).FullName;
        File.WriteAllText(Path.Combine(data, "in.txt"), "data");
        File.SetUnixFileMode(data, (UnixFileMode)0b111_111_111);
        var learned = Path.Combine(_dir, "learned");
        var policy = TestPolicy().Build();
        string[] command = ["/bin/sh", "-c", $"cat {data}/in.txt"];

        var confined = await Sandbox.RunAsync(policy, command, TimeSpan.FromSeconds(60));
        var results = await FailedTestLearning.LearnAsync([Failed], learned, policy, command, TimeSpan.FromSeconds(60), "Suite.Reads(\"data\")", [], CancellationToken.None);

        Assert.NotEqual(0, confined.ExitCode);
        var file = Path.Combine(learned, "Suite.Reads__data__.toml");
        Assert.Contains($"Sandlock learn: what the test used, run again without its filesystem rules, is in {file}", results[0].PrimaryFailure!.Message);
        var withLearned = TestPolicy();
        PolicyFile.Load(file).ApplyTo(withLearned);
        var again = await Sandbox.RunAsync(withLearned.Build(), command, TimeSpan.FromSeconds(60));
        Assert.True(again.ExitCode == 0, again.StandardErrorText);
        Assert.Equal("data", again.StandardOutputText);
    }

    [Fact]
    public async Task Without_a_failure_nothing_runs_again_and_nothing_is_written()
    {
        var learned = Path.Combine(_dir, "learned");
        var passed = Failed with { Outcome = TestOutcome.Passed, Failures = [] };

        var results = await FailedTestLearning.LearnAsync([passed], learned, TestPolicy().Build(), ["/bin/false"], null, "Suite.Passes", [], CancellationToken.None);

        Assert.Same(passed, Assert.Single(results));
        Assert.False(Directory.Exists(learned));
    }

    [Theory]
    [InlineData("Suite.Test", "Suite.Test")]
    [InlineData("Suite.Theory(x: \"a/b\")", "Suite.Theory_x___a_b__")]
    [InlineData("../..", "_..")]
    public void File_names_keep_only_safe_characters(string testName, string expected) =>
        Assert.Equal(expected, FailedTestLearning.FileName(testName));
}
