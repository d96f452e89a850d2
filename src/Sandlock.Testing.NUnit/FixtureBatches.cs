using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.NUnit;

/// <summary>
/// The [Sandboxed] tests of a fixture that share a child run there as one batch: as the fixture's first test comes
/// (its one-time setup has run here), all the fixture's tests that the run will run go to the child at once, and each
/// later test of the fixture takes the result the child already reported. The child then goes from one test to the
/// next without waiting for this process, and NUnit there builds one run for the fixture rather than one a test
/// (about 1 ms a test). A fixture not in the run's tree (<see cref="RunWorkItems"/>) runs test by test.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class FixtureBatches
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<ITest, IReadOnlyList<ITest>> Fixtures = new(ReferenceEqualityComparer.Instance);
    private static readonly HashSet<ITest> Sent = new(ReferenceEqualityComparer.Instance);
    private static readonly Dictionary<ITest, Task<IReadOnlyList<ChildTestResult>>> Pending = new(ReferenceEqualityComparer.Instance);

    /// <summary>A run of an assembly starts with these fixtures: what an earlier run of them left is forgotten.</summary>
    public static void RunStarts(IReadOnlyDictionary<ITest, IReadOnlyList<ITest>> fixtures)
    {
        lock (Gate)
        {
            foreach (var (fixture, tests) in fixtures)
            {
                Fixtures[fixture] = tests;
                Sent.Remove(fixture);
                foreach (var test in tests) Pending.Remove(test);
            }
        }
    }

    /// <summary>
    /// The results of <paramref name="test"/> from its fixture's batch, which its first test starts; null when it
    /// runs on its own (not in a batch: a fresh child, a fixture outside the tree, a name its fixture repeats).
    /// </summary>
    public static Task<IReadOnlyList<ChildTestResult>>? Take(ITest test, Func<ITest, SandboxedTestLaunch?> launchOf)
    {
        lock (Gate)
        {
            if (Pending.Remove(test, out var pending)) return pending;
            if (FixtureOf(test) is not { } fixture || !Fixtures.TryGetValue(fixture, out var tests) || !Sent.Add(fixture)) return null;
            var batch = new List<(ITest Test, SandboxedTestLaunch Launch)>();
            // A name two cases share cannot say which one the child ran.
            foreach (var group in tests.GroupBy(t => t.FullName, StringComparer.Ordinal).Where(g => g.Count() == 1))
                if (launchOf(group.First()) is { } launch) batch.Add((group.First(), launch));
            var tasks = SandboxedTestRunner.StartInOrder([.. batch.Select(b => b.Launch)], CancellationToken.None);
            for (var i = 0; i < batch.Count; i++)
                if (tasks[i] is { } task) Pending[batch[i].Test] = task;
            return Pending.Remove(test, out pending) ? pending : null;
        }
    }

    private static ITest? FixtureOf(ITest test)
    {
        for (var suite = test.Parent; suite is not null; suite = suite.Parent)
            if (suite is TestFixture) return suite;
        return null;
    }
}
