using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>
/// Builds tests/fixtures/ExecCanonical three ways (plain Exec, routed Exec, SandlockExec) in parallel, once for the
/// class; every test checks its behaviour in all three.
/// </summary>
public sealed class ExecCompatibilityTests(ExecCompatibilityTests.Builds builds) : IClassFixture<ExecCompatibilityTests.Builds>
{
    public sealed class Builds : IAsyncLifetime
    {
        public CommandResult PlainExec { get; private set; } = null!;
        public CommandResult RoutedExec { get; private set; } = null!;
        public CommandResult SandlockExec { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            var plain = await FixtureProject.CopyAsync("ExecCanonical");
            var routed = await FixtureProject.CopyAsync("ExecCanonical");
            var sandlock = await FixtureProject.CopyAsync("ExecCanonical", text => text.Replace("<Exec ", "<SandlockExec ").Replace("</Exec>", "</SandlockExec>"));
            var results = await Task.WhenAll(BuildAsync(plain, routed: false), BuildAsync(routed, routed: true), BuildAsync(sandlock, routed: false));
            (PlainExec, RoutedExec, SandlockExec) = (results[0], results[1], results[2]);
        }

        private static Task<CommandResult> BuildAsync(FixtureProject project, bool routed) =>
            project.BuildAsync("ExecChecks", new Dictionary<string, string> { ["SandlockRouteExec"] = routed ? "true" : "false" });

        public Task DisposeAsync() => Task.CompletedTask;

        public IEnumerable<(string Name, CommandResult Result)> All =>
            [("Exec", PlainExec), ("routed Exec", RoutedExec), ("SandlockExec", SandlockExec)];
    }

    private void EachMode(Action<string, CommandResult> check)
    {
        foreach (var (name, result) in builds.All) check(name, result);
    }

    private static IEnumerable<string> Lines(CommandResult result) => result.Output.Split('\n').Select(l => l.Trim());

    private static IEnumerable<string> Checks(CommandResult result) =>
        Lines(result).Where(l => l.StartsWith("CHECK ", StringComparison.Ordinal)).Select(Normalize);

    /// <summary>stdout and stderr are separate pipes, so even plain Exec sees their lines in either order.</summary>
    private static string Normalize(string check)
    {
        const string bothStreams = "CHECK both-streams=";
        return check.StartsWith(bothStreams, StringComparison.Ordinal)
            ? bothStreams + string.Join('|', check[bothStreams.Length..].Split('|').Order(StringComparer.Ordinal))
            : check;
    }

    [Fact]
    public void The_three_tasks_report_the_same_checks()
    {
        var expected = Checks(builds.PlainExec).ToList();
        Assert.Equal(13, expected.Count);
        Assert.Equal(expected, Checks(builds.RoutedExec));
        Assert.Equal(expected, Checks(builds.SandlockExec));
    }

    [Theory]
    [InlineData("CHECK ignored-exit-code=3")]
    [InlineData("CHECK failed-exit-code=5")]
    [InlineData("CHECK timeout-exit-code=137")]
    [InlineData("CHECK signal-exit-code=143")]
    [InlineData("CHECK environment=1-two words")]
    [InlineData("CHECK working-directory=sub")]
    [InlineData("CHECK multi-line=one|two|three")]
    [InlineData("CHECK both-streams=to-stderr|to-stdout")]
    [InlineData("CHECK utf8=h\u00e9llo w\u00f6rld")]
    [InlineData("CHECK custom-error-exit-code=-1")]
    [InlineData("CHECK custom-warning-exit-code=0")]
    [InlineData("CHECK ignored-format-exit-code=0")]
    [InlineData("CHECK stderr-as-error-exit-code=-1")]
    public void Each_behaviour_matches_Exec(string check) =>
        EachMode((name, result) => Assert.True(Checks(result).Contains(check), $"{name}: no '{check}' in\n{result}"));

    [Fact]
    public void Exit_code_failures_are_reported_with_Exec_s_own_messages()
    {
        EachMode((name, result) =>
        {
            Assert.True(result.Output.Contains("warning MSB3075: The command \"exit 5\" exited with code 5."), $"{name}:\n{result}");
            Assert.True(result.Output.Contains("warning MSB3077: The command \"echo 'BAD: custom failure'\" exited with return value 0"), $"{name}:\n{result}");
        });
    }

    [Fact]
    public void Error_and_warning_formats_and_regular_expressions_are_applied_to_output_lines()
    {
        EachMode((name, result) =>
        {
            Assert.True(result.Output.Contains("Program.cs(1,2): warning CANON1: canonical warning"), $"{name}:\n{result}");
            Assert.True(result.Output.Contains("warning : BAD: custom failure"), $"{name}:\n{result}");
            Assert.True(result.Output.Contains("warning : MEH: custom warning"), $"{name}:\n{result}");
            Assert.True(result.Output.Contains("warning : STDERR_AS_ERROR"), $"{name}:\n{result}");
            Assert.False(result.Output.Contains("error CANON2: ignored canonical error ["), $"{name}:\n{result}");
            Assert.True(Lines(result).Contains("Program.cs(3,4): error CANON2: ignored canonical error"), $"{name}:\n{result}");
        });
    }

    [Fact]
    public void EchoOff_and_importance_hide_what_Exec_hides()
    {
        EachMode((name, result) =>
        {
            Assert.True(result.Output.Contains("hidden_command_text"), $"{name}:\n{result}");
            Assert.False(result.Output.Contains("HIDDEN_COMMAND_TEXT"), $"{name}:\n{result}");
            Assert.False(Lines(result).Contains("LOW_IMPORTANCE_LINE"), $"{name}:\n{result}");
        });
    }

    [Fact]
    public void Timeout_kills_the_command_and_fails_the_task()
    {
        EachMode((name, result) =>
        {
            Assert.True(result.Output.Contains("warning MSB4181: The \"") && result.Output.Contains("task returned false but did not log an error"), $"{name}:\n{result}");
        });
    }
}
