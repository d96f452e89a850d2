namespace Sandlock.Supervision;

/// <summary>
/// A handler with state that starts over when one process runs several jobs in turn (a shared test child): the
/// seeded random stream takes the next job's seed, the virtual clock starts at time_start again.
/// </summary>
internal interface IRestartable
{
    void Restart(ulong seed, SupervisedSession session);

    /// <summary>
    /// The next job's seed is known before the job starts (a shared test child still sets its test up): work the
    /// restart would make the job wait for may start now. Nothing the sandbox sees changes until <see cref="Restart"/>.
    /// </summary>
    void Prepare(ulong seed, SupervisedSession session) { }

    /// <summary>
    /// The job that <see cref="Restart"/> began was started by <paramref name="call"/>, held with its caller waiting
    /// (<see cref="JobStarts"/>): what that caller's process holds from the jobs before may be renewed in place.
    /// </summary>
    void Started(SyscallEvent call, SupervisedSession session) { }
}
