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
}
