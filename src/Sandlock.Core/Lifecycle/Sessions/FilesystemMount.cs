namespace Sandlock;

/// <summary>
/// A host folder shown to a session's commands at <see cref="Path"/> (as <c>fs_mount</c> does; no root needed: the
/// supervisor serves the paths under it).
/// </summary>
public sealed record FilesystemMount(string Path, string HostPath, bool ReadOnly = false);
