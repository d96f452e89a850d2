using System.CommandLine;
using Sandlock.Cli;

namespace Sandlock.Tests;

/// <summary><c>sandlock run</c> gets its options from a list (no reflection at start-up): none may be left out.</summary>
public sealed class RunOptionsTests
{
    [Fact]
    public void Every_option_field_is_listed_once()
    {
        var options = new RunOptions();
        var fields = typeof(RunOptions).GetFields().Select(f => f.GetValue(options)).OfType<Option>()
            .Concat(options.Policy.Select(p => p.Option)).Select(o => o.Name).Order().ToArray();
        var listed = options.All.Select(o => o.Name).Order().ToArray();
        Assert.Equal(fields, listed);
    }

    [Fact]
    public void The_run_command_has_every_option_and_the_command_argument()
    {
        var options = new RunOptions();
        var run = new Command("run");
        options.AddTo(run);
        Assert.Equal(options.All.Count(), run.Options.Count);
        Assert.Same(options.Command, Assert.Single(run.Arguments));
    }

    [Fact]
    public void Given_the_arguments_only_the_flags_they_name_get_an_option()
    {
        var options = new RunOptions(["-r", "/usr", "--fs-write=/tmp", "-t", "5", "--", "cat", "--fs-deny", "--explain"]);

        Assert.Equal(["--fs-read", "--fs-write"], options.Policy.Select(p => p.Option.Name).Order());
        Assert.Equal(["--fs-read", "--fs-write", "--timeout"], options.All.Select(o => o.Name).Order());
        Assert.Null(options.Explain);
    }

    [Fact]
    public void Every_own_option_name_and_alias_is_known_before_the_options_are_made()
    {
        var every = new RunOptions();
        var own = every.All.Except(every.Policy.Select(p => p.Option)).ToArray();
        var names = own.SelectMany(o => o.Aliases.Prepend(o.Name)).Order().ToArray();

        Assert.Equal(7, own.Length);
        Assert.Equal(names, RunOptions.OwnFlags.Except(["--output", "-o"]).Order());
    }

    [Fact]
    public async Task An_own_flag_not_made_reads_as_its_default_and_one_given_is_read()
    {
        var r = await CliRunner.Run("run", "--timeout", "0.5", "-r", "/usr", "-r", "/lib", "-r", "/lib64", "-r", "/bin", "--", "sleep", "5");
        Assert.Equal(124, r.ExitCode);

        var explained = await CliRunner.Run("run", "--explain", "-r", "/usr", "--", "true");
        Assert.Equal(0, explained.ExitCode);
        Assert.NotEmpty(explained.Stdout);
    }

    [Theory]
    [InlineData("--fs-reed")]
    [InlineData("-ri")]
    [InlineData("-Z")]
    public void An_argument_that_may_be_a_flag_but_names_none_gets_every_option(string argument)
    {
        var options = new RunOptions(["-r", "/usr", argument, "--", "true"]);

        Assert.Equal(new RunOptions().Policy.Count, options.Policy.Count);
    }

    [Fact]
    public async Task A_misspelt_flag_is_reported_as_before()
    {
        var r = await CliRunner.Run("run", "-r", "/usr", "--fs-reed", "/x", "--", "true");

        Assert.Equal(125, r.ExitCode);
        Assert.Contains("unknown option '--fs-reed'", r.Stderr);
    }
}
