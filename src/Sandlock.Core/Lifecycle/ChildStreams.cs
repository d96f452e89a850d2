namespace Sandlock.Lifecycle;

/// <summary>
/// Fds a composed run (a pipeline stage, a gather consumer, a fork template) hands the child instead of what its
/// <see cref="StdioMode"/> would open: a pipe end as stdin or stdout, and fds that become the child's 3, 4, ...
/// The caller keeps them and closes them once the child has started; -1 leaves that stream to the mode.
/// </summary>
internal sealed record ChildStreams(int Stdin = -1, int Stdout = -1, IReadOnlyList<int>? ExtraFds = null);
