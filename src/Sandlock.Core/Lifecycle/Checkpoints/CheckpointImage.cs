using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sandlock.Lifecycle.Checkpoints;

/// <summary>
/// checkpoint.json: everything about a checkpointed process except its memory and registers, which are beside it
/// (memory.bin, registers.bin, xstate.bin). docs/checkpoint.md describes the folder.
/// </summary>
internal sealed record CheckpointImage
{
    public const int CurrentFormat = 1;
    public const string FileName = "checkpoint.json", MemoryFile = "memory.bin", RegistersFile = "registers.bin", ExtendedStateFile = "xstate.bin";

    public int Format { get; init; } = CurrentFormat;
    public required string Architecture { get; init; }
    /// <summary>uname's release: the vDSO layout the process was using belongs to it.</summary>
    public required string Kernel { get; init; }
    public required int Pid { get; init; }
    public required IReadOnlyList<string> Command { get; init; }
    public required DateTimeOffset Taken { get; init; }
    /// <summary>/proc/PID/comm: the name ps shows, which the restored process takes again.</summary>
    public required string Name { get; init; }
    public required string WorkingDirectory { get; init; }
    public required ulong SignalMask { get; init; }
    public required IReadOnlyList<int> IgnoredSignals { get; init; }
    public required ulong RobustListHead { get; init; }
    public required ulong RobustListLength { get; init; }
    public required ulong RseqArea { get; init; }
    public required uint RseqLength { get; init; }
    public required uint RseqSignature { get; init; }
    public required IReadOnlyList<ImageRegion> Regions { get; init; }
    public required IReadOnlyList<ImageFile> Files { get; init; }
    /// <summary>What fds 0, 1 and 2 were; a restored process gets the restoring sandbox's stdio instead.</summary>
    public required IReadOnlyList<string> Stdio { get; init; }
    /// <summary>The settings of the sandbox's policy that policy.toml has no key for, by setting name; null: no policy kept.</summary>
    public Dictionary<string, string[]>? PolicyBeyondFile { get; init; }
    /// <summary>What confined the sandbox besides its policy (a policy callback), which no file holds; null when nothing.</summary>
    public string? PolicyNotCarried { get; init; }

    public void Write(string folder) =>
        File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(this, CheckpointJson.Default.CheckpointImage));

    /// <summary>Reads a folder's checkpoint.json; a missing or unreadable one is a <see cref="SandboxCheckpointException"/> naming it.</summary>
    public static CheckpointImage Read(string folder)
    {
        var file = Path.Combine(folder, FileName);
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(file), CheckpointJson.Default.CheckpointImage)
                ?? throw new SandboxCheckpointException($"{file}: empty checkpoint description");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SandboxCheckpointException($"{file}: cannot read the checkpoint: {e.Message}");
        }
        catch (JsonException e)
        {
            throw new SandboxCheckpointException($"{file}: not a checkpoint description (line {e.LineNumber + 1}): {e.Message}");
        }
    }
}

/// <summary>
/// One mapping of the process. <see cref="MemoryOffset"/> is where its contents start in memory.bin; null for the
/// kernel's own mappings (vDSO and its data pages), which a restore moves into place instead of copying.
/// </summary>
internal sealed record ImageRegion(ulong Start, ulong End, string Protection, string Name, long? MemoryOffset)
{
    [JsonIgnore] public ulong Length => End - Start;
    [JsonIgnore] public bool IsKernelMapping => MemoryOffset is null;
    [JsonIgnore] public bool IsStack => Name == "[stack]";
    public bool Overlaps(ulong start, ulong end) => Start < end && start < End;

    /// <summary>PROT_* bits of the "rwxp" column.</summary>
    [JsonIgnore] public int ProtectionBits => (Protection[0] == 'r' ? 1 : 0) | (Protection[1] == 'w' ? 2 : 0) | (Protection[2] == 'x' ? 4 : 0);
}

/// <summary>An open file reopened by path at restore: its fd number, open flags, and position (null: not seekable).</summary>
internal sealed record ImageFile(int Fd, string Path, int Flags, long? Offset);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(CheckpointImage))]
internal sealed partial class CheckpointJson : JsonSerializerContext;
