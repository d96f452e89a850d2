using Xunit.Abstractions;

namespace Sandlock.Testing.Xunit.Child;

/// <summary>Execution options for the one test a child runs (xunit.runner.utility, which has its own, is not used).</summary>
internal sealed class ChildExecutionOptions : ITestFrameworkExecutionOptions
{
    private readonly Dictionary<string, object?> _values = new(StringComparer.Ordinal)
    {
        ["xunit.execution.DisableParallelization"] = true,
        ["xunit.execution.SynchronousMessageReporting"] = true,
    };

    public TValue GetValue<TValue>(string name) => _values.TryGetValue(name, out var value) && value is TValue typed ? typed : default!;

    public void SetValue<TValue>(string name, TValue value) => _values[name] = value;
}
