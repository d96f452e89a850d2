using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Child;

/// <summary>
/// Runs one test inside the sandboxed child through the framework's own in-process runner. Implementations need a
/// public parameterless constructor; the child host creates them by the name given in the request.
/// </summary>
public interface IChildTestRunner
{
    Task<IReadOnlyList<ChildTestResult>> RunAsync(ChildTestRequest request);
}
