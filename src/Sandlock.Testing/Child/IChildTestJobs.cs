using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Child;

/// <summary>
/// What a framework's runner tells the host of a shared child while it runs a batch of tests in one run
/// (<see cref="IChildTestRunner.TryRunInOrderAsync"/>): each test's start and end, by its index in the batch.
/// </summary>
public interface IChildTestJobs
{
    /// <summary>
    /// On the test's own thread, just before test <paramref name="index"/> itself starts (after its class's and
    /// collection's fixtures, before its class is made): its temp folder, seed and clock. False when the sandbox could
    /// not set them up: that test must not run, and the run stops there.
    /// </summary>
    bool Starting(int index);

    /// <summary>Test <paramref name="index"/> ended; <paramref name="report"/> holds its results.</summary>
    void Finished(int index, ChildRunReport report);
}
