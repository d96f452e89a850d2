using System.Globalization;
using System.Numerics;
using System.CommandLine;
using Sandlock.Policy.Settings;

namespace Sandlock.Cli;

/// <summary>
/// The flags of <c>sandlock run</c>, named as in the original sandlock CLI: one per policy setting that has a flag
/// (<see cref="PolicySettings"/>), then those about the run itself.
/// </summary>
internal sealed class RunOptions
{
    /// <summary>Each policy setting's flag, its option typed by the setting's value kind.</summary>
    public readonly IReadOnlyList<(PolicySetting Setting, Option Option)> Policy;

    /// <summary>The names and aliases of the run's own options (not policy settings); learn adds --output.</summary>
    internal static readonly string[] OwnFlags =
        ["--explain", "--dry-run", "--repro-check", "--timeout", "-t", "--profile", "-p", "--profile-file", "--interactive", "-i", "--output", "-o"];

    /// <summary>
    /// <paramref name="arguments"/>: the command line after the subcommand's name, when known. Only the flags it
    /// names then get an option (the run's own ones too): making all sixty-odd of them is a sizeable part of a
    /// sandbox's start. Anything that might be a flag but names none (a misspelling, bundled short flags) gets them
    /// all, so that parsing reports it as it always does. An option not made is null, its value the default.
    /// </summary>
    public RunOptions(IReadOnlyList<string>? arguments = null)
    {
        var settings = PolicySettings.In(FrontDoor.CommandLine);
        var given = arguments is null ? null : FlagsNamed(arguments, settings);
        bool Named(string name, string? alias = null) => given is null || given.Contains(name) || (alias is not null && given.Contains(alias));
        if (Named("--explain")) Explain = Flag("--explain", "Print what would be enforced and exit, running nothing");
        if (Named("--dry-run")) DryRun = Flag("--dry-run", "With --workdir: run, print the changes (A|M|D PATH, sorted) and keep none of them");
        if (Named("--repro-check")) ReproCheck = Number("--repro-check", null, "N", "Run N times, varying what the policy does not pin, and compare outputs");
        if (Named("--timeout", "-t"))
            Timeout = Number<double>("--timeout", "-t", "SECS", "Kill the command after SECS seconds (exit 124)", "a number of seconds such as 30 or 0.5");
        if (Named("--profile", "-p")) Profile = One("--profile", "-p", "NAME", "Start from ~/.config/sandlock/profiles/NAME.toml");
        if (Named("--profile-file")) ProfileFile = One("--profile-file", null, "PATH", "Start from this policy file");
        if (Named("--interactive", "-i")) Interactive = Flag("--interactive", "Share the terminal with the command", "-i");
        var policy = new List<(PolicySetting, Option)>();
        foreach (var setting in settings)
            if (Named(setting.Flag!, setting.FlagAlias))
                policy.Add((setting, ForSetting(setting)));
        Policy = policy;
    }

    /// <summary>The value given for <paramref name="option"/>, or the default when the option was not made.</summary>
    public static T? Value<T>(ParseResult parsed, Option<T>? option) => option is null ? default : parsed.GetValue(option);

    private static HashSet<string>? FlagsNamed(IReadOnlyList<string> arguments, IEnumerable<PolicySetting> settings)
    {
        var known = new HashSet<string>(OwnFlags, StringComparer.Ordinal);
        foreach (var setting in settings)
        {
            known.Add(setting.Flag!);
            if (setting.FlagAlias is { } alias) known.Add(alias);
        }
        var given = new HashSet<string>(StringComparer.Ordinal);
        foreach (var argument in arguments)
        {
            if (argument == "--") break;
            if (!argument.StartsWith('-') || argument == "-") continue;
            // --flag=value and --flag:value name the flag before the separator.
            var end = argument.IndexOfAny(['=', ':']);
            var name = end > 0 ? argument[..end] : argument;
            if (!known.Contains(name)) return null;
            given.Add(name);
        }
        return given;
    }

    public readonly Option<bool>? Explain;
    public readonly Option<bool>? DryRun;
    public readonly Option<int?>? ReproCheck;
    public readonly Option<double?>? Timeout;
    public readonly Option<string?>? Profile;
    public readonly Option<string?>? ProfileFile;
    public readonly Option<bool>? Interactive;
    public readonly Argument<string[]> Command = new("command") { Arity = ArgumentArity.ZeroOrMore, Description = "The command and its arguments (after --)", CustomParser = Values };

    /// <summary>
    /// Every option made, policy flags first. The run's own options are listed rather than found by reflection, which
    /// costs a NativeAOT start a third of a millisecond; a test checks that no option field is missing here.
    /// </summary>
    public IEnumerable<Option> All =>
        [.. Policy.Select(p => p.Option), .. new Option?[] { Explain, DryRun, ReproCheck, Timeout, Profile, ProfileFile, Interactive }.OfType<Option>()];

    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
        command.Arguments.Add(Command);
    }

    private static Option ForSetting(PolicySetting s) => s.Shape switch
    {
        SettingShape.Switch => Flag(s.Flag!, s.Help, s.FlagAlias),
        SettingShape.Many => Many(s.Flag!, s.FlagAlias, s.FlagValue!, s.Help),
        _ when s.Kind.Type == typeof(int) => Number<int>(s.Flag!, s.FlagAlias, s.FlagValue!, s.Help, s.Kind.Expected),
        _ when s.Kind.Type == typeof(ulong) => Number<ulong>(s.Flag!, s.FlagAlias, s.FlagValue!, s.Help, s.Kind.Expected),
        _ => One(s.Flag!, s.FlagAlias, s.FlagValue!, s.Help),
    };

    private static Option<string[]> Many(string name, string? alias, string helpName, string description) =>
        new(name, Aliases(alias))
        {
            HelpName = helpName,
            Description = description,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            CustomParser = Values,
        };

    /// <summary>
    /// The tokens as they are: System.CommandLine's own conversion makes the array by reflection, a tenth of a
    /// millisecond of a NativeAOT start for each list flag given.
    /// </summary>
    private static string[] Values(System.CommandLine.Parsing.ArgumentResult result)
    {
        var values = new string[result.Tokens.Count];
        for (var i = 0; i < values.Length; i++) values[i] = result.Tokens[i].Value;
        return values;
    }

    private static Option<string?> One(string name, string? alias, string helpName, string description) =>
        new(name, Aliases(alias)) { HelpName = helpName, Description = description };

    private static Option<int?> Number(string name, string? alias, string helpName, string description) =>
        Number<int>(name, alias, helpName, description, ValueKinds.Int32.Expected);

    // The default message names the CLR type (System.Nullable`1[System.Int32]); say what is expected instead.
    private static Option<T?> Number<T>(string name, string? alias, string helpName, string description, string expected)
        where T : struct, INumber<T> =>
        new(name, Aliases(alias))
        {
            HelpName = helpName,
            Description = description,
            CustomParser = result =>
            {
                var token = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
                var style = typeof(T) == typeof(double) ? NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint : NumberStyles.AllowLeadingSign;
                if (T.TryParse(token, style, CultureInfo.InvariantCulture, out var n))
                    return n;
                result.AddError($"{name}: invalid number '{token}': expected {expected}");
                return null;
            },
        };

    private static Option<bool> Flag(string name, string description, string? alias = null) =>
        new(name, Aliases(alias)) { Description = description };

    private static string[] Aliases(string? alias) => alias is null ? [] : [alias];
}
