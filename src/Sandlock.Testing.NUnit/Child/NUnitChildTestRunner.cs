using System.Globalization;
using System.Reflection;
using NUnit.Framework.Api;
using Sandlock.Testing.Child;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.NUnit.Child;

/// <summary>
/// In the child: NUnit's own assembly runner loads the test assembly with the parent's random seed and runs only
/// the test with the requested full name, with its setup and teardown. A shared child loads the assembly once and
/// runs each test as a run of its own, on the child's main thread: NUnit otherwise starts a thread for every run, so
/// one a test (~0.5 ms of a shared child's CPU a test), where a plain run keeps one worker for its non-parallel tests.
/// </summary>
public sealed class NUnitChildTestRunner : IChildTestRunner
{
    private NUnitTestAssemblyRunner? _runner;
    private string? _loaded;

    public Task<IReadOnlyList<ChildTestResult>> RunAsync(ChildTestRequest request)
    {
        var runner = _loaded == request.AssemblyPath && _runner is not null ? _runner : Load(request);
        var listener = new ChildResultListener();
        runner.Run(listener, new FullNameMatch(request.TestId));
        return Task.FromResult(listener.Results);
    }

    private NUnitTestAssemblyRunner Load(ChildTestRequest request)
    {
        var settings = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [NUnitSettingNames.NumberOfTestWorkers] = 0,
            [NUnitSettingNames.RunOnMainThread] = true,
            [NUnitSettingNames.TestParametersDictionary] = request.FrameworkSettings
                .Where(kv => kv.Key.StartsWith(NUnitSettingNames.ParameterPrefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[NUnitSettingNames.ParameterPrefix.Length..], kv => kv.Value),
        };
        if (request.FrameworkSettings.TryGetValue(NUnitSettingNames.RandomSeed, out var seed))
            settings[NUnitSettingNames.RandomSeed] = int.Parse(seed, CultureInfo.InvariantCulture);

        var runner = new NUnitTestAssemblyRunner(new DefaultTestAssemblyBuilder());
        runner.Load(Assembly.Load(TestAssemblyName.Of(request.AssemblyPath)), settings);
        (_runner, _loaded) = (runner, request.AssemblyPath);
        return runner;
    }
}
