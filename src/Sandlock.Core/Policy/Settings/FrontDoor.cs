namespace Sandlock.Policy.Settings;

/// <summary>
/// The ways a policy is written: <c>sandlock run</c>'s flags, a <c>sandlock.toml</c> (also all the confined
/// Microsoft.Testing.Platform host takes), <c>SandlockExec</c>'s parameters, <c>[Sandboxed]</c>'s properties.
/// </summary>
internal enum FrontDoor { CommandLine, PolicyFile, Task, Attribute }
