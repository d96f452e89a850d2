namespace Sandlock.Testing.Sharing;

/// <summary>Where a test of a given isolation finds a shared child: the pool of the class run or of the assembly run, and the scope's name in it.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed record SharingScope(SharedChildPool Pool, string Name);
