namespace Sandlock.Supervision;

/// <summary>
/// A handler with state that starts over when one process runs several jobs in turn (a shared test child): the
/// seeded random stream takes the next job's seed, the virtual clock starts at time_start again.
/// </summary>
internal interface IRestartable
{
    void Restart(ulong seed, SupervisedSession session);
}
