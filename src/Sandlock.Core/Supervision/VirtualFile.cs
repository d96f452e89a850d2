namespace Sandlock.Supervision;

/// <summary>
/// A file the supervisor serves in place of a real one. Its content is made for a sandbox on the sandbox's first
/// open of it (seeded random bytes cost milliseconds, and most programs never open the device), and lives in
/// memory only until that sandbox ends. Several paths may serve one file.
/// </summary>
internal sealed class VirtualFile(string name, Func<byte[]> content)
{
    public VirtualFile(string name, byte[] content) : this(name, () => content) { }

    /// <summary>What the memfd is called (it shows in /proc/PID/fd of a process that opened it).</summary>
    public string Name { get; } = name;

    public byte[] MakeContent() => content();
}
