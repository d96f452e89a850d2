using Sandlock.Orchestration;

namespace Sandlock;

/// <summary>
/// A command bound to its own policy, not yet run. Two stages joined with <c>|</c> make a <see cref="Pipeline"/>;
/// named stages feed one consumer in a <see cref="Gather"/>.
/// </summary>
public sealed class Stage
{
    public Stage(SandboxPolicy policy, IReadOnlyList<string> command)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(command);
        if (command.Count == 0 || command[0].Length == 0)
            throw new SandboxSetupException(SetupFailure.CommandNotFound, "empty command: give the stage a program to run");
        Policy = policy;
        Command = [.. command];
    }

    public SandboxPolicy Policy { get; }
    public IReadOnlyList<string> Command { get; }

    /// <summary>Runs this stage alone, stdout and stderr captured.</summary>
    public Task<SandboxResult> RunAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        Sandbox.RunAsync(Policy, Command, timeout, cancellationToken);

    public static Pipeline operator |(Stage first, Stage second) => new([first, second]);

    public override string ToString() => string.Join(' ', Command);
}
