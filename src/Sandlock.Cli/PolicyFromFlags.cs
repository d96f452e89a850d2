using System.CommandLine;
using System.Globalization;
using Sandlock.Policy.Settings;

namespace Sandlock.Cli;

/// <summary>Applies the policy flags of <c>sandlock run</c> to a policy builder; each value names its flag as its source.</summary>
internal static class PolicyFromFlags
{
    public static void Apply(ParseResult parsed, RunOptions o, SandboxPolicyBuilder b)
    {
        foreach (var (setting, option) in o.Policy)
            foreach (var value in Values(parsed, option))
                setting.Apply(b, value, option.Name);
    }

    /// <summary>The values given for <paramref name="option"/> as text; a switch not given gives none.</summary>
    private static IEnumerable<string> Values(ParseResult parsed, Option option) => option switch
    {
        Option<bool> flag => parsed.GetValue(flag) ? ["true"] : [],
        Option<string[]> many => parsed.GetValue(many) ?? [],
        Option<string?> one => parsed.GetValue(one) is { } text ? [text] : [],
        Option<int?> number => parsed.GetValue(number) is { } n ? [n.ToString(CultureInfo.InvariantCulture)] : [],
        Option<ulong?> number => parsed.GetValue(number) is { } n ? [n.ToString(CultureInfo.InvariantCulture)] : [],
        _ => throw new InvalidOperationException($"{option.Name}: no policy setting takes a {option.GetType().Name}"),
    };
}
