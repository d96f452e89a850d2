using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;
using NUnit.Framework.Internal.Execution;

namespace Sandlock.Testing.NUnit;

/// <summary>
/// The tests a run of NUnit will run, by fixture and in the run's order, read from the run's work items as the
/// assembly starts (they are built for the whole run, under its filter, before it starts). NUnit gives a test no
/// public way to them: its dispatchers keep the run's top work item in a private field. Where that is not found
/// (another dispatcher, another NUnit), there is no tree, and each test runs in its child on its own, as before.
/// </summary>
internal static class RunWorkItems
{
    private const string TopWorkItemField = "_topLevelWorkItem";

    /// <summary>Each fixture of the run with the test cases it will run, in order; null when the run's work items cannot be read.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2075", Justification = "NUnit's dispatchers are loaded whole; a missing field means no tree.")]
    public static IReadOnlyDictionary<ITest, IReadOnlyList<ITest>>? FixturesOf(TestExecutionContext context)
    {
        if (context.Dispatcher is not { } dispatcher) return null;
        if (dispatcher.GetType().GetField(TopWorkItemField, BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(dispatcher) is not WorkItem top)
            return null;
        var fixtures = new Dictionary<ITest, IReadOnlyList<ITest>>(ReferenceEqualityComparer.Instance);
        Collect(top, null, fixtures);
        return fixtures;
    }

    private static void Collect(WorkItem item, List<ITest>? fixtureTests, Dictionary<ITest, IReadOnlyList<ITest>> fixtures)
    {
        if (item is CompositeWorkItem composite)
        {
            if (composite.Test is TestFixture fixture) fixtures[fixture] = fixtureTests = [];
            foreach (var child in composite.Children) Collect(child, fixtureTests, fixtures);
        }
        else if (fixtureTests is not null && !item.Test.IsSuite) fixtureTests.Add(item.Test);
    }
}
