using System.CommandLine;
using Sandlock.Cli;
using Sandlock.Policy.Settings;
using Sandlock.Tests.TestSupport;

namespace Sandlock.Tests;

/// <summary><c>sandlock run</c> takes every flag (and short form) the settings table gives, and it reaches the builder.</summary>
public sealed class FlagTableTests
{
    public static TheoryData<string> Flags()
    {
        var data = new TheoryData<string>();
        foreach (var setting in PolicySettings.In(FrontDoor.CommandLine))
        {
            data.Add(setting.Flag!);
            if (setting.FlagAlias is { } alias) data.Add(alias);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Flags))]
    public void Each_flag_of_the_table_is_accepted_and_applied(string flag)
    {
        var setting = PolicySettings.All.Single(s => s.Flag == flag || s.FlagAlias == flag);
        var options = new RunOptions();
        var run = new Command("run");
        options.AddTo(run);
        string[] given = setting.Shape == SettingShape.Switch ? [flag] : [flag, SettingSamples.Of(setting.Kind)];

        var parsed = run.Parse(["run", .. given, "--", "true"], CommandLineParsing.Configuration);

        Assert.Empty(parsed.Errors);
        var applied = new SandboxPolicyBuilder();
        PolicyFromFlags.Apply(parsed, options, applied);
        var untouched = new SandboxPolicyBuilder();
        // The flag changed the policy: building both tells them apart, or the changed one is refused as not built yet.
        var after = Try(applied.Build);
        Assert.True(after is not SandboxPolicy built || !built.Equals(Try(untouched.Build)), $"{flag} changed nothing");
    }

    private static object Try(Func<SandboxPolicy> build)
    {
        try
        {
            return build();
        }
        catch (PolicyException e)
        {
            return e;
        }
    }
}
