using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit.Child;

/// <summary>
/// The order the parent gave a batch's test cases in, which is the order its own run of them takes (the class's
/// orderer, then grouped by method): each test's job (its seed, clock and folder) is queued in that order, so the
/// child must start them in it, whatever orderer the class or collection names.
/// </summary>
internal sealed class GivenOrder : ITestCaseOrderer, ITestCollectionOrderer
{
    private readonly Dictionary<ITestCase, int> _cases = new(ReferenceEqualityComparer.Instance);
    // Keyed by the collection, compared by id: a Dictionary over Guid keys has no ReadyToRun code, and each fresh
    // child compiled its methods.
    private readonly Dictionary<ITestCollection, int> _collections = new(SameCollection.Instance);

    public GivenOrder(IReadOnlyList<IXunitTestCase> cases)
    {
        for (var i = 0; i < cases.Count; i++)
        {
            _cases.TryAdd(cases[i], i);
            _collections.TryAdd(cases[i].TestMethod.TestClass.TestCollection, i);
        }
    }

    /// <summary>The case's place in the batch; -1 for a case that is not one of it.</summary>
    public int IndexOf(ITestCase testCase) => _cases.GetValueOrDefault(testCase, -1);

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : ITestCase =>
        testCases.OrderBy(c => IndexOf(c));

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderBy(c => _collections.GetValueOrDefault(c, -1));

    private sealed class SameCollection : IEqualityComparer<ITestCollection>
    {
        public static readonly SameCollection Instance = new();

        public bool Equals(ITestCollection? x, ITestCollection? y) => x?.UniqueID == y?.UniqueID;

        public int GetHashCode(ITestCollection collection) => collection.UniqueID.GetHashCode();
    }
}
