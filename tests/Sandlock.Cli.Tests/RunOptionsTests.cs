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
}
