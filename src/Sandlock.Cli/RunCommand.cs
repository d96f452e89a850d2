using System.CommandLine;
using System.Runtime.InteropServices;
using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Policy.Files;

namespace Sandlock.Cli;

/// <summary><c>sandlock run [OPTIONS] -- COMMAND [ARGS...]</c>.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var options = new RunOptions();
        var command = new Command("run", "Run a command in a sandbox");
        options.AddTo(command);
        command.SetAction((parsed, cancellationToken) => RunAsync(parsed, options, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(ParseResult parsed, RunOptions o, CancellationToken cancellationToken)
    {
        SandboxPolicy policy;
        string[] command;
        try
        {
            var builder = new SandboxPolicyBuilder();
            string[]? fileCommand = null;
            if (parsed.GetValue(o.Profile) is { } profile)
            {
                var file = new ProfileStore().Load(profile);
                file.ApplyTo(builder);
                fileCommand = file.Command;
            }
            if (parsed.GetValue(o.ProfileFile) is { } profileFile)
            {
                var file = PolicyFile.Load(profileFile);
                file.ApplyTo(builder);
                fileCommand = file.Command ?? fileCommand;
            }
            PolicyFromFlags.Apply(parsed, o, builder);
            policy = builder.Build();
            command = parsed.GetValue(o.Command) is { Length: > 0 } given ? given : fileCommand ?? [];
        }
        catch (PolicyException e)
        {
            return ExitCodes.Fail(e.Message);
        }

        if (command.Length > 0 && command[0].StartsWith('-'))
            return ExitCodes.Fail($"unknown option '{command[0]}' (put the command after --)");
        if (command.Length == 0 || command[0].Length == 0)
            return ExitCodes.Fail("no command given: usage: sandlock run [OPTIONS] -- COMMAND [ARGS...]");

        var timeout = parsed.GetValue(o.Timeout);
        if (timeout is <= 0 or > 31_536_000)
            return ExitCodes.Fail($"--timeout: invalid value {timeout}: expected seconds greater than 0");

        if (parsed.GetValue(o.DryRun)) return DryRun.Print(policy, command);
        if (parsed.GetValue(o.ReproCheck) is { } runs)
            return await ReproCheckCommand.RunAsync(policy, command, runs, timeout is { } limit ? TimeSpan.FromSeconds(limit) : null, cancellationToken).ConfigureAwait(false);

        await using var sandbox = new Sandbox(policy, command, StdioMode.Inherit)
        {
            Timeout = timeout is { } t ? TimeSpan.FromSeconds(t) : null,
            // As they happen: a client outside needs the real port while the command still runs.
            OnPortMapped = mapping => Console.Error.WriteLine($"sandlock: {mapping}"),
        };
        try
        {
            sandbox.Start();
        }
        catch (SandboxSetupException e)
        {
            return ExitCodes.Fail(e.Message, ExitCodes.For(e.Failure));
        }
        foreach (var degraded in sandbox.Degraded)
            Console.Error.WriteLine($"sandlock: warning: running without {degraded} (allowed by --allow-degraded)");

        // The command runs in its own process group, so terminal signals reach only us: pass them on.
        using var interrupt = Forward(PosixSignal.SIGINT, sandbox);
        using var terminate = Forward(PosixSignal.SIGTERM, sandbox);
        using var hangup = Forward(PosixSignal.SIGHUP, sandbox);
        using var quit = Forward(PosixSignal.SIGQUIT, sandbox);

        var result = await sandbox.WaitAsync(cancellationToken).ConfigureAwait(false);
        foreach (var denial in result.Denials) Console.Error.WriteLine($"sandlock: denied {denial}");
        return result.ExitCode;
    }

    private static PosixSignalRegistration Forward(PosixSignal signal, Sandbox sandbox) =>
        PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            sandbox.Signal(context.Signal switch
            {
                PosixSignal.SIGINT => 2,
                PosixSignal.SIGQUIT => 3,
                PosixSignal.SIGHUP => 1,
                _ => 15,
            });
        });
}
