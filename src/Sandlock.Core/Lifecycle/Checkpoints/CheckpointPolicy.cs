using Sandlock.Policy.Files;
using Sandlock.Policy.Settings;

namespace Sandlock.Lifecycle.Checkpoints;

/// <summary>
/// The policy a checkpointed process ran under, kept in its folder so that <see cref="Sandbox.RestoreAsync(string, StdioMode, CancellationToken)"/>
/// confines the restored process as the original was: <c>policy.toml</c> in the <c>sandlock.toml</c> schema, and in
/// checkpoint.json what no policy file can hold (settings without a file key, a seed past TOML's integers) and, when the sandbox had more than a policy (a policy
/// callback, handlers of its own), what that was: such a checkpoint restores only with a policy given explicitly.
/// </summary>
internal static class CheckpointPolicy
{
    public const string FileName = "policy.toml";

    /// <summary>Writes policy.toml and returns the image completed with what checkpoint.json carries of the policy.</summary>
    public static CheckpointImage Write(string folder, CheckpointImage image, SandboxPolicy policy, string? notCarried)
    {
        // The stub a restored sandbox may execute is added by every restore: not part of the policy the user gave.
        var given = policy with { FsReadable = [.. policy.FsReadable.Where(p => !SandboxCheckpoints.StubCandidates.Contains(p))] };
        List<string> header =
        [
            $"The policy of the sandbox checkpointed here (pid {image.Pid}: {string.Join(' ', image.Command)}), taken {image.Taken:O}.",
            "Sandbox.RestoreAsync(folder) confines the restored process with it; docs/checkpoint.md.",
        ];
        if (notCarried is not null) header.Add($"Not the whole confinement: the sandbox also had {notCarried}, which no file can hold.");
        var written = PolicyFileWriter.Write(given, header);
        File.WriteAllText(Path.Combine(folder, FileName), written.Text);
        return image with { PolicyBeyondFile = written.Beyond, PolicyNotCarried = notCarried };
    }

    /// <summary>
    /// The policy stored in a checkpoint folder. Refused, naming the file, when there is none or it is not the whole of
    /// what confined the process; a setting that no longer holds (a path gone) is a <see cref="PolicyException"/> at its line.
    /// </summary>
    public static SandboxPolicy Read(string folder, CheckpointImage image)
    {
        var file = Path.Combine(folder, FileName);
        var description = Path.Combine(folder, CheckpointImage.FileName);
        if (image.PolicyNotCarried is { } missing)
            throw new SandboxCheckpointException(
                $"{description}: the sandbox checkpointed had {missing}, which a checkpoint cannot hold: restore it with a policy given explicitly");
        if (!File.Exists(file))
            throw new SandboxCheckpointException($"{folder}: {FileName} is missing (a checkpoint without its policy): restore it with a policy given explicitly");
        // Written with policy.toml, possibly empty: absent, checkpoint.json is not the one written beside this policy.toml.
        if (image.PolicyBeyondFile is null)
            throw new SandboxCheckpointException($"{description}: has no policyBeyondFile, which a checkpoint writes with {FileName}: restore it with a policy given explicitly");
        var builder = new SandboxPolicyBuilder();
        PolicyFile.Load(file, "checkpoint").ApplyTo(builder);
        foreach (var (name, values) in image.PolicyBeyondFile)
        {
            var source = $"{description}: policyBeyondFile.{name}";
            var setting = PolicySettings.All.FirstOrDefault(s => s.Name == name)
                ?? throw new SandboxCheckpointException($"{source}: not a setting a checkpoint keeps beside {FileName}");
            foreach (var value in values) setting.Apply(builder, value, source);
        }
        return builder.Build();
    }
}
