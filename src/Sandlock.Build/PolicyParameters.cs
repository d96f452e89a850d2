namespace Sandlock.Build;

/// <summary>The policy parameters of one <c>SandlockExec</c> (docs/msbuild.md), as MSBuild passed them.</summary>
internal sealed record PolicyParameters(
    string? PolicyFile,
    IReadOnlyList<string> ReadPaths,
    IReadOnlyList<string> WritePaths,
    IReadOnlyList<string> DenyPaths,
    IReadOnlyList<string> NetAllow,
    IReadOnlyList<string> HttpAllow,
    string? MaxMemory,
    string? MaxProcesses,
    string? TimeStart,
    string? RandomSeed,
    bool DeterministicDirs,
    bool CleanEnv);
