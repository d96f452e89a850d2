using System.Text.Json.Serialization;

namespace Sandlock.Lifecycle.Registry;

/// <summary>What a client asks an owner: <c>list</c>, <c>inspect</c> or <c>kill</c> (the last two name a sandbox by id).</summary>
internal sealed record RegistryRequest(string Op, string? Id = null);

/// <summary>An owner's answer: the sandboxes asked about, or why it refused.</summary>
internal sealed record RegistryReply(IReadOnlyList<SandboxDetails>? Sandboxes = null, string? Error = null);

/// <summary>One running sandbox as <c>sandlock ps</c> and <c>sandlock inspect</c> show it.</summary>
internal sealed record SandboxDetails
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public required int Pid { get; init; }
    /// <summary>The process that started the sandbox and serves these answers.</summary>
    public required int OwnerPid { get; init; }
    public required IReadOnlyList<string> Command { get; init; }
    public required DateTimeOffset Started { get; init; }
    public required double UptimeSeconds { get; init; }
    public required string PolicySummary { get; init; }
    public required int DenialCount { get; init; }

    // Only in an inspect answer: list answers stay small.
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<PolicySetting>? Policy { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ProcessEntry>? Processes { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? Denials { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? PortMappings { get; init; }
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, long>? HeldSyscallCounts { get; init; }
}

/// <summary>One setting of the policy, under its policy-file key.</summary>
internal sealed record PolicySetting(string Key, string Value);

/// <summary>One process of a sandbox's tree.</summary>
internal sealed record ProcessEntry(int Pid, int ParentPid, string Command);

/// <summary>Serializers made at build time: the CLI is compiled ahead of time, where reflection cannot serialize.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(RegistryRequest))]
[JsonSerializable(typeof(RegistryReply))]
[JsonSerializable(typeof(SandboxDetails))]
[JsonSerializable(typeof(IReadOnlyList<SandboxDetails>))]
internal sealed partial class RegistryJson : JsonSerializerContext;
