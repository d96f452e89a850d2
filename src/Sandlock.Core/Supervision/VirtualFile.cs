namespace Sandlock.Supervision;

/// <summary>
/// A file the supervisor serves in place of a real one. Its content is made for a sandbox on the sandbox's first
/// open of it (seeded random bytes cost milliseconds, and most programs never open the device), and lives in
/// memory only until that sandbox ends. Several paths may serve one file.
/// </summary>
internal sealed class VirtualFile(string name, Func<byte[]> content)
{
    private readonly Func<ulong, byte[]>? _seeded;
    private ulong _seed;

    public VirtualFile(string name, byte[] content) : this(name, () => content) { }

    /// <summary>A file whose content comes from a seed that a shared child's next job may change (<see cref="Reseed"/>).</summary>
    public VirtualFile(string name, ulong seed, Func<ulong, byte[]> content) : this(name, () => [])
    {
        _seeded = content;
        _seed = seed;
    }

    /// <summary>Whether <see cref="Reseed"/> changes the content.</summary>
    public bool IsSeeded => _seeded is not null;

    public void Reseed(ulong seed) => Volatile.Write(ref _seed, seed);

    /// <summary>What the memfd is called (it shows in /proc/PID/fd of a process that opened it).</summary>
    public string Name { get; } = name;

    public byte[] MakeContent() => _seeded is { } seeded ? seeded(Volatile.Read(ref _seed)) : content();
}
