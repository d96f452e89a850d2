using Sandlock.Supervision.Determinism;

namespace Sandlock.Supervision;

/// <summary>
/// A file the supervisor serves in place of a real one: fixed content, made for a sandbox on the sandbox's first open
/// of it and kept in memory only until that sandbox ends (several paths may serve one file); or a seeded device,
/// whose every open reads the seed's stream from its start, without end.
/// </summary>
internal sealed class VirtualFile
{
    private readonly Func<byte[]>? _content;
    private readonly string? _purpose;
    private ulong _seed;

    public VirtualFile(string name, Func<byte[]> content) => (Name, _content) = (name, content);

    public VirtualFile(string name, byte[] content) : this(name, () => content) { }

    /// <summary>A device serving the stream of <paramref name="seed"/> for <paramref name="purpose"/>, which a shared child's next job may change (<see cref="Reseed"/>).</summary>
    public VirtualFile(string name, ulong seed, string purpose) => (Name, _seed, _purpose) = (name, seed, purpose);

    /// <summary>What the memfd is called (it shows in /proc/PID/fd of a process that opened it).</summary>
    public string Name { get; }

    /// <summary>Whether it is a seeded device, whose content <see cref="Reseed"/> changes.</summary>
    public bool IsSeeded => _purpose is not null;

    /// <summary>The seed the device serves now.</summary>
    public ulong Seed => Volatile.Read(ref _seed);

    public void Reseed(ulong seed) => Volatile.Write(ref _seed, seed);

    /// <summary>The fixed content in memory.</summary>
    public MemoryFile MakeMemoryFile() =>
        _content is { } content ? new MemoryFile("sandlock-" + Name, content()) : throw new InvalidOperationException($"{Name} is a seeded device");

    /// <summary>An open of the seeded device for <paramref name="seed"/>, whatever it serves now.</summary>
    public SeededPipe OpenSeeded(ulong seed, Action<SeededPipe> finished) =>
        _purpose is { } purpose ? SeededPipe.Open(seed, purpose, finished) : throw new InvalidOperationException($"{Name} is not seeded");
}
