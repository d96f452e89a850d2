using System.Collections;
using System.Collections.Immutable;
using Sandlock.Policy;
using Sandlock.Policy.Files;
using Sandlock.Policy.Settings;

namespace Sandlock.Build;

/// <summary>
/// Composes the policy of one build step: the default policy, then the policy file, then the task parameters
/// (paths add up; single values are replaced by the later source), then the environment.
/// </summary>
internal static class StepPolicy
{
    /// <summary>
    /// Everything about the step that is not a policy parameter. Paths are host paths. <paramref name="BuildEnvironment"/>:
    /// the build's environment, read once on the task's thread (a step may be composed on another).
    /// </summary>
    public sealed record Step(
        ProjectSettings Project,
        ChildRoot Root,
        string WorkingDirectory,
        bool WorkingDirectoryGiven,
        string? ScriptPath,
        string? TempDirectory,
        IReadOnlyList<KeyValuePair<string, string>> ExecEnvironment,
        IDictionary BuildEnvironment);

    /// <summary>Throws <see cref="PolicyException"/> naming the file and line, or the parameter, at fault.</summary>
    public static SandboxPolicy Compose(Step step, IReadOnlyList<(string Name, string Value)> parameters, PolicyFile? file)
    {
        var builder = new SandboxPolicyBuilder { BaseDirectory = step.Project.ProjectDirectory };
        AddDefaults(builder, step);
        file?.ApplyTo(builder);

        // A working directory outside the chroot does not exist for the step: the default or the file's cwd holds.
        if (step.WorkingDirectoryGiven && step.Root.Inside(step.WorkingDirectory) is { } cwd) builder.Cwd(cwd, "WorkingDirectory");
        PolicySettings.ApplyAll(builder, FrontDoor.Task, parameters, name => name);
        // A refusal the program swallows must still fail the step: record each one (the supervisor needs to run).
        if (!builder.Unvalidated.NoSupervisor) builder.RecordFilesystemDenials(true, FrontDoorDefaults.Source);

        // The step's environment is the build's, minus secrets, plus the policy's and Exec's own: set through the
        // builder like every other field, so it is validated too (once, with the rest, by Build).
        var environment = Environment(builder.Unvalidated, step);
        builder.CleanEnv(true, FrontDoorDefaults.Source);
        builder.Env(environment, "the build's environment");
        return builder.Build();
    }

    /// <summary>
    /// What a step may touch unless the file or the parameters say more: under a chroot, the system paths that exist
    /// inside it, and the project's host paths only where they lie inside the chroot directory.
    /// </summary>
    private static void AddDefaults(SandboxPolicyBuilder builder, Step step)
    {
        const string source = FrontDoorDefaults.Source;
        var root = step.Root;
        FrontDoorDefaults.AddSystem(builder, root);
        foreach (var host in (string?[])[step.Project.RepositoryRoot, step.Project.ProjectDirectory, .. step.Project.ReadPaths, step.ScriptPath])
            if (host is not null && Path.Exists(host) && root.Inside(host) is { } path) builder.FsRead(path, source);

        foreach (var host in step.Project.WritePaths)
        {
            if (root.Inside(host) is not { } path) continue;
            // Output folders of a first build do not exist yet; rules need existing paths.
            Directory.CreateDirectory(host);
            builder.FsWrite(path, source);
        }
        if (step.TempDirectory is not null && root.Inside(step.TempDirectory) is { } temp) builder.FsWrite(temp, source);
        builder.Cwd(root.Inside(step.WorkingDirectory) ?? "/", source);
    }

    /// <summary>
    /// The inherited environment minus secret-looking variables (or, with clean_env, only what the core keeps), then
    /// TMPDIR pointing at the step's temp folder (unset when a chroot leaves the step none), then the policy's env, then Exec's EnvironmentVariables.
    /// </summary>
    private static ImmutableSortedDictionary<string, string> Environment(SandboxPolicy policy, Step step)
    {
        var env = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        if (!policy.CleanEnv)
        {
            foreach (DictionaryEntry entry in step.BuildEnvironment)
            {
                var name = (string)entry.Key;
                if (!SecretVariables.IsSecret(name)) env[name] = (string?)entry.Value ?? "";
            }
        }
        if (step.TempDirectory is not null && step.Root.Inside(step.TempDirectory) is { } temp)
            env["TMPDIR"] = env["TMP"] = env["TEMP"] = temp;
        else
            foreach (var name in (string[])["TMPDIR", "TMP", "TEMP"]) env.Remove(name);
        foreach (var (name, value) in policy.Env) env[name] = value;
        foreach (var (name, value) in step.ExecEnvironment) env[name] = value;
        return env.ToImmutable();
    }
}
