using System.CommandLine;
using Sandlock.Policy;
using Sandlock.Policy.Files;

namespace Sandlock.Cli;

/// <summary>
/// What <c>sandlock run</c> was asked to do, checked before anything starts: the policy (named profile, then policy
/// file, then flags), the command and the run settings. Every problem is a <see cref="PolicyException"/> naming the
/// flag, file:line or value.
/// </summary>
internal sealed record RunRequest(SandboxPolicy Policy, string[] Command, TimeSpan? Timeout, int? ReproRuns, bool Explain, bool DryRun)
{
    /// <summary>A year: longer than any build, short enough for a timer.</summary>
    private const double MaxTimeoutSeconds = 31_536_000;

    /// <summary>Each run is a full run of the command; more than this is a typo, not a check.</summary>
    public const int MaxReproRuns = 1000;

    public static RunRequest From(ParseResult parsed, RunOptions o)
    {
        var builder = new SandboxPolicyBuilder();
        string[]? fileCommand = null;
        if (RunOptions.Value(parsed, o.Profile) is { } profile)
        {
            var file = new ProfileStore().Load(profile);
            file.ApplyTo(builder);
            fileCommand = file.Command;
        }
        if (RunOptions.Value(parsed, o.ProfileFile) is { } profileFile)
        {
            var file = PolicyFile.Load(profileFile, o.ProfileFile!.Name);
            file.ApplyTo(builder);
            fileCommand = file.Command ?? fileCommand;
        }
        PolicyFromFlags.Apply(parsed, o, builder);
        var policy = builder.Build();

        var command = parsed.GetValue(o.Command) is { Length: > 0 } given ? given : fileCommand ?? [];
        if (command.Length > 0 && command[0].StartsWith('-'))
            throw new PolicyException("command", $"unknown option '{command[0]}' (put the command after --)");
        if (command.Length == 0 || command[0].Length == 0)
            throw new PolicyException("command", $"no command given: usage: sandlock {parsed.CommandResult.Command.Name} [OPTIONS] -- COMMAND [ARGS...]");

        var timeout = RunOptions.Value(parsed, o.Timeout);
        // Written so that NaN fails too.
        if (timeout is { } seconds && !(seconds > 0 && seconds <= MaxTimeoutSeconds))
            throw new PolicyException(o.Timeout!.Name, $"invalid value {seconds}: expected seconds greater than 0, at most {MaxTimeoutSeconds} (a year)");

        var runs = RunOptions.Value(parsed, o.ReproCheck);
        if (runs is < 2 or > MaxReproRuns)
            throw new PolicyException(o.ReproCheck!.Name, $"invalid value {runs}: expected from 2 to {MaxReproRuns} runs");

        var dryRun = RunOptions.Value(parsed, o.DryRun);
        if (dryRun && policy.Workdir is null)
            throw new PolicyException(o.DryRun!.Name, "--dry-run lists the changes a run makes to its --workdir: give one (to print the rules without running, use --explain)");
        if (dryRun && runs is not null)
            throw new PolicyException(o.DryRun!.Name, "--dry-run and --repro-check cannot be combined");
        return new RunRequest(policy, command, timeout is { } t ? TimeSpan.FromSeconds(t) : null, runs, RunOptions.Value(parsed, o.Explain), dryRun);
    }
}
