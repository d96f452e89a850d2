using System.Net;

namespace Sandlock.Policy.Learning;

/// <summary>How a run used a path, as its calls showed it.</summary>
internal enum PathUse
{
    /// <summary>A file opened for reading.</summary>
    Read,
    /// <summary>A folder opened to list it.</summary>
    List,
    /// <summary>A program started (execve), or the interpreter the kernel started for it.</summary>
    Execute,
    /// <summary>An existing file opened for writing or truncated.</summary>
    Modify,
    /// <summary>An entry made, removed or renamed in the folder <see cref="ObservedPath.Path"/>.</summary>
    ChangeIn,
}

/// <summary>One use of a host path by the program named <see cref="Program"/>; <see cref="Entry"/> names what changed in a folder.</summary>
internal sealed record ObservedPath(string Path, PathUse Use, string Program, string? Entry = null);

/// <summary>A destination the run connected or sent to.</summary>
internal sealed record ObservedDestination(NetProtocol Protocol, IPAddress Address, ushort Port, string Program);

/// <summary>A port the run bound.</summary>
internal sealed record ObservedBind(NetProtocol Protocol, ushort Port, string Program);

/// <summary>
/// What one or more observed runs did (<see cref="Commands"/>: the command of each): every path it used, where it connected, what it bound, the programs it started and
/// its peaks (resident memory of all its processes at once, the largest private writable memory of one process, and
/// tasks alive at once, threads included, as <c>processes</c> counts them). <see cref="Truncated"/>: more was used than
/// the recorder keeps, so the lists are incomplete.
/// </summary>
internal sealed record ObservedRun(
    IReadOnlyList<IReadOnlyList<string>> Commands,
    IReadOnlyList<ObservedPath> Paths,
    IReadOnlyList<ObservedDestination> Destinations,
    IReadOnlyList<ObservedBind> Binds,
    IReadOnlyList<string> Programs,
    long PeakResidentBytes,
    long PeakProcessDataBytes,
    int PeakTasks,
    bool Truncated = false)
{
    /// <summary>Several runs as one: everything each used, the highest of their peaks.</summary>
    public static ObservedRun Merge(IReadOnlyList<ObservedRun> runs)
    {
        ArgumentNullException.ThrowIfNull(runs);
        return new ObservedRun(
            [.. runs.SelectMany(r => r.Commands)],
            [.. runs.SelectMany(r => r.Paths).Distinct()],
            [.. runs.SelectMany(r => r.Destinations).Distinct()],
            [.. runs.SelectMany(r => r.Binds).Distinct()],
            [.. runs.SelectMany(r => r.Programs).Distinct()],
            runs.Select(r => r.PeakResidentBytes).DefaultIfEmpty().Max(),
            runs.Select(r => r.PeakProcessDataBytes).DefaultIfEmpty().Max(),
            runs.Select(r => r.PeakTasks).DefaultIfEmpty().Max(),
            runs.Any(r => r.Truncated));
    }
}
