using System.Globalization;
using System.Reflection;
using NUnit.Framework.Api;
using NUnit.Framework.Interfaces;
using Sandlock.Testing.Child;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.NUnit.Child;

/// <summary>
/// In the child: NUnit's own assembly runner loads the test assembly with the parent's random seed and runs only
/// the requested tests, with their setup and teardown: a batch (a fixture's tests, as the parent's run will run them)
/// as one run, so that the fixture is set up once and NUnit builds one run, not one a test. A shared child loads the
/// assembly once. Its runs go through NUnit's dispatcher with one worker, as a plain run's tests do: a test runs on
/// NUnit's non-parallel worker (a <c>[Parallelizable]</c> one on a parallel worker) and sees that worker in
/// <c>TestContext.CurrentContext.WorkerId</c>; with one worker the batch's tests still run one at a time, in its order.
/// </summary>
public sealed class NUnitChildTestRunner : IChildTestRunner
{
    private NUnitTestAssemblyRunner? _runner;
    private (string Path, string? Fixture)? _loaded;

    public Task<IReadOnlyList<ChildTestResult>> RunAsync(ChildTestRequest request)
    {
        var (runner, filter) = Prepared(request, [request.TestId]);
        var listener = new ChildResultListener();
        runner.Run(listener, filter);
        return Task.FromResult(listener.Results);
    }

    public Task<bool> TryRunInOrderAsync(IReadOnlyList<ChildTestRequest> requests, IChildTestJobs jobs)
    {
        var ids = requests.Select(r => r.TestId).ToList();
        // Tests of one full name cannot be told apart by it: each runs on its own, as it always did.
        if (requests.Count < 2 || ids.Distinct(StringComparer.Ordinal).Count() != ids.Count) return Task.FromResult(false);
        var (runner, filter) = Prepared(requests[0], ids);
        var batch = new BatchRunListener(ids, jobs);
        ChildTestStart.ArmBatch(batch.Starting);
        try
        {
            runner.Run(batch, filter);
        }
        finally
        {
            ChildTestStart.ArmBatch(null);
        }
        batch.EndRest("NUnit's run of the batch ended before this test");
        return Task.FromResult(true);
    }

    /// <summary>
    /// The runner with the tests loaded, and the filter that selects <paramref name="testIds"/>. A fresh child, or a
    /// class's, builds only its fixture's tests (and the setup fixtures of its namespaces): a large assembly's tree
    /// otherwise costs each child its whole build. Should the fixture's name not find them (NUnit's prefilter reads a
    /// generic fixture's differently), the whole assembly is built.
    /// </summary>
    private (NUnitTestAssemblyRunner Runner, FullNamesMatch Filter) Prepared(ChildTestRequest request, IReadOnlyList<string> testIds)
    {
        var fixture = request.FrameworkSettings.GetValueOrDefault(NUnitSettingNames.LoadFixture);
        var runner = _runner is not null && _loaded == (request.AssemblyPath, fixture) ? _runner : Load(request, fixture);
        var filter = new FullNamesMatch(testIds, Loaded(runner));
        if (filter.FindsAll || fixture is null) return (runner, filter);
        runner = Load(request, null);
        return (runner, new FullNamesMatch(testIds, Loaded(runner)));
    }

    private ITest Loaded(NUnitTestAssemblyRunner runner) =>
        runner.LoadedTest ?? throw new InvalidOperationException($"NUnit loaded no test from {_loaded?.Path}");

    private NUnitTestAssemblyRunner Load(ChildTestRequest request, string? fixture)
    {
        // A loop, not LINQ over the settings' pairs: generic code over KeyValuePair has no ReadyToRun code, and every
        // child compiled it.
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in request.FrameworkSettings)
            if (key.StartsWith(NUnitSettingNames.ParameterPrefix, StringComparison.Ordinal)) parameters[key[NUnitSettingNames.ParameterPrefix.Length..]] = value;
        var settings = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [NUnitSettingNames.NumberOfTestWorkers] = 1,
            [NUnitSettingNames.RunOnMainThread] = false,
            [NUnitSettingNames.TestParametersDictionary] = parameters,
        };
        if (request.FrameworkSettings.TryGetValue(NUnitSettingNames.RandomSeed, out var seed))
            settings[NUnitSettingNames.RandomSeed] = int.Parse(seed, CultureInfo.InvariantCulture);
        if (fixture is not null) settings[NUnitSettingNames.Load] = new List<string> { fixture };

        var runner = new NUnitTestAssemblyRunner(new DefaultTestAssemblyBuilder());
        runner.Load(Assembly.Load(TestAssemblyName.Of(request.AssemblyPath)), settings);
        (_runner, _loaded) = (runner, (request.AssemblyPath, fixture));
        return runner;
    }
}
