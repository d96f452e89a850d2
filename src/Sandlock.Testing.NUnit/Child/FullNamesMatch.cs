using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

namespace Sandlock.Testing.NUnit.Child;

/// <summary>
/// Selects the tests with the given full names, compared as strings: a test case's name may hold characters that
/// filter XML cannot carry (<c>\u001f</c>, <c>\uffff</c>), and NUnit's own name filter is internal. The suites that
/// hold them are found once, so NUnit's build of a run looks at each suite's children only (its default filter
/// searches every suite's descendants, the whole assembly for each test a shared child runs).
/// </summary>
internal sealed class FullNamesMatch : TestFilter
{
    private readonly HashSet<string> _names;
    private readonly HashSet<ITest> _holders = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<string> _found = new(StringComparer.Ordinal);

    public FullNamesMatch(IEnumerable<string> fullNames, ITest loaded)
    {
        _names = new HashSet<string>(fullNames, StringComparer.Ordinal);
        FindHolders(loaded);
    }

    /// <summary>Whether the loaded tests hold every name.</summary>
    public bool FindsAll => _found.Count == _names.Count;

    private bool FindHolders(ITest test)
    {
        if (!test.HasChildren)
        {
            if (!_names.Contains(test.FullName)) return false;
            _found.Add(test.FullName);
            return true;
        }
        var holds = false;
        foreach (var child in test.Tests) holds |= FindHolders(child);
        if (holds) _holders.Add(test);
        return holds;
    }

    public override bool Match(ITest test) => !test.IsSuite && _names.Contains(test.FullName);

    public override bool Pass(ITest test, bool negated) => test.IsSuite ? _holders.Contains(test) : Match(test);

    public override bool IsExplicitMatch(ITest test) => Pass(test, negated: false);

    public override TNode AddToXml(TNode parentNode, bool recursive)
    {
        var or = parentNode.AddElement("or");
        foreach (var name in _names) or.AddElement("test", name);
        return or;
    }
}
