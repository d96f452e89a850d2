using Sandlock.Policy;

namespace Sandlock.Supervision.Workspaces;

/// <summary>
/// Where one run's copy-on-write layer over a workdir lives: its folder in fs_storage holds the upper folder (the
/// files the run made or changed), the list of paths it deleted, and, while it commits, the journal.
/// </summary>
internal sealed record WorkspaceLayout(string Lower, string Run)
{
    public string Upper => Run + "/upper";

    /// <summary>Paths (below the workdir) the run deleted or renamed away, each ended by a NUL.</summary>
    public string DeletedList => Run + "/deleted";

    /// <summary>Present once a write went past max_disk: the run's changes are then never committed.</summary>
    public string Overflowed => Run + "/overflowed";

    /// <summary>The workdir this run is over, so a later sandlock can finish an interrupted commit.</summary>
    public string LowerRecord => Run + "/workdir";

    /// <summary>Written, complete, before a commit changes the workdir; removed once it is done.</summary>
    public string Journal => Run + "/journal";

    /// <summary>Present when the run's changes were kept on purpose (on_exit or on_error keep).</summary>
    public string KeptMark => Run + "/kept";

    /// <summary>flock-held by the live run; free once its sandlock is gone, however it ended.</summary>
    public string LiveLock => Run + "/lock";

    public static WorkspaceLayout Of(SandboxPolicy policy) =>
        new(policy.Workdir ?? throw new InvalidOperationException("no workdir"),
            Path.GetDirectoryName(policy.WorkspaceUpper ?? throw new InvalidOperationException("no workspace run"))!);

    /// <summary>The workdir path a child sees for <paramref name="rest"/> below it.</summary>
    public string Shown(string rest) => rest.Length == 0 ? Lower : Lower.TrimEnd('/') + "/" + rest;
}
