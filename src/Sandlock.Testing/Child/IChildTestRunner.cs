using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Child;

/// <summary>
/// Runs one test inside the sandboxed child through the framework's own in-process runner. Implementations need a
/// public parameterless constructor; the child host creates them by the name given in the request.
/// </summary>
public interface IChildTestRunner
{
    Task<IReadOnlyList<ChildTestResult>> RunAsync(ChildTestRequest request);

    /// <summary>
    /// Called in a shared child before its first test, while the parent is still setting the run up: load what
    /// every test of <paramref name="assemblyPath"/> needs. Must not run any of the assembly's code.
    /// </summary>
    void Prepare(string assemblyPath) { }

    /// <summary>
    /// In a shared child: runs <paramref name="requests"/> (tests of one assembly, in the order the parent runs them)
    /// in one run of the framework, in that order, so that what the framework sets up for a class or collection is
    /// set up once for them, as without the sandbox; tells <paramref name="jobs"/> as each starts and ends. False,
    /// having run nothing, when it cannot: the host then runs them one by one with <see cref="RunAsync"/>.
    /// </summary>
    Task<bool> TryRunInOrderAsync(IReadOnlyList<ChildTestRequest> requests, IChildTestJobs jobs) => Task.FromResult(false);
}
