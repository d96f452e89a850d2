namespace Sandlock.Cli;

/// <summary>
/// The version <c>sandlock --version</c> prints: the informational version System.CommandLine's version option finds
/// in the assembly's attribute. The build writes it as a constant (ToolVersion.targets): reading the attribute back
/// starts the reflection runtime of a NativeAOT binary, about a tenth of a version-only start.
/// </summary>
internal static partial class ToolVersion;
