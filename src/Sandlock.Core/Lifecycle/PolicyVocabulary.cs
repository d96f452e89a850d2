namespace Sandlock.Lifecycle;

/// <summary>
/// How a front door names the settings a denial explanation points at: a task's parameters, an attribute's
/// properties, the CLI's flags. <see cref="PolicyFile"/> is the policy file in effect, if any.
/// </summary>
internal sealed record PolicyVocabulary(
    Func<string, string> AllowRead,
    Func<string, string> AllowPort,
    string NetAllowRule,
    string MaxMemory,
    string MaxProcesses,
    string? PolicyFile)
{
    /// <summary>SandlockExec and routed Exec steps.</summary>
    public static PolicyVocabulary Task(string? policyFile) => new(
        path => $"add ReadPaths=\"{path}\" (or WritePaths to write) to the task",
        port => $"add NetAllow=\":{port}\" to the task",
        "a NetAllow rule on the task",
        "MaxMemory on the task",
        "MaxProcesses on the task",
        policyFile);

    /// <summary>The confined Microsoft.Testing.Platform host: its policy file is all it takes.</summary>
    public static PolicyVocabulary TestHost(string? policyFile) => new(
        path => $"pass a policy file that reads \"{path}\" with --sandlock FILE",
        port => $"pass a policy file that allows \":{port}\" with --sandlock FILE",
        "a rule in the policy file passed with --sandlock FILE",
        "memory under [limits] in that policy file",
        "processes under [limits] in that policy file",
        policyFile);

    /// <summary>The confined VSTest testhost (SandlockTestHost=true): the project's sandlock.toml is all it takes.</summary>
    public static PolicyVocabulary VsTestHost(string? policyFile) => new(
        path => $"name a policy file that reads \"{path}\" with SandlockPolicyFile",
        port => $"name a policy file that allows \":{port}\" with SandlockPolicyFile",
        "a rule in the policy file named by SandlockPolicyFile",
        "memory under [limits] in the project's policy file",
        "processes under [limits] in the project's policy file",
        policyFile);

    /// <summary>[Sandboxed] tests, xunit and NUnit alike.</summary>
    public static PolicyVocabulary SandboxedAttribute(string? policyFile) => new(
        path => $"add Read = [\"{path}\"] (or Write to write) to [Sandboxed]",
        port => $"add NetAllow = [\":{port}\"] to [Sandboxed]",
        "a NetAllow rule on [Sandboxed]",
        "MaxMemory on [Sandboxed]",
        "MaxProcesses on [Sandboxed]",
        policyFile);
}
