namespace Sandlock.Supervision;

/// <summary>
/// A file the supervisor serves in place of a real one. Its content is made for a sandbox on the sandbox's first
/// open of it (seeded random bytes cost milliseconds, and most programs never open the device), and lives in
/// memory only until that sandbox ends. Several paths may serve one file.
/// </summary>
internal sealed class VirtualFile(string name, Func<byte[]> content)
{
    private readonly Action<ulong, Span<byte>>? _seeded;
    private readonly int _seededLength;
    private ulong _seed;

    public VirtualFile(string name, byte[] content) : this(name, () => content) { }

    /// <summary>
    /// A file of <paramref name="length"/> bytes that <paramref name="fill"/> makes from a seed, which a shared
    /// child's next job may change (<see cref="Reseed"/>).
    /// </summary>
    public VirtualFile(string name, ulong seed, int length, Action<ulong, Span<byte>> fill) : this(name, () => [])
    {
        _seeded = fill;
        _seededLength = length;
        _seed = seed;
    }

    /// <summary>Whether <see cref="Reseed"/> changes the content.</summary>
    public bool IsSeeded => _seeded is not null;

    public void Reseed(ulong seed) => Volatile.Write(ref _seed, seed);

    /// <summary>What the memfd is called (it shows in /proc/PID/fd of a process that opened it).</summary>
    public string Name { get; } = name;

    /// <summary>The file in memory, with the content of now. A seeded one is made in a pooled buffer: a shared child's
    /// every test makes one, and a fresh array each time was garbage of its size per test.</summary>
    public MemoryFile MakeMemoryFile() => _seeded is null ? new MemoryFile("sandlock-" + Name, content()) : MakeMemoryFile(Volatile.Read(ref _seed));

    /// <summary>A seeded file's content for <paramref name="seed"/>, whatever it serves now.</summary>
    public MemoryFile MakeMemoryFile(ulong seed)
    {
        if (_seeded is not { } fill) throw new InvalidOperationException($"{Name} is not seeded");
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(_seededLength);
        try
        {
            var span = buffer.AsSpan(0, _seededLength);
            fill(seed, span);
            return new MemoryFile("sandlock-" + Name, span);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
