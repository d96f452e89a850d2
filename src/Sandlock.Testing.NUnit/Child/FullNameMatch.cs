using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

namespace Sandlock.Testing.NUnit.Child;

/// <summary>
/// Selects the test with one full name, compared as a string: a test case's name may hold characters that filter
/// XML cannot carry (<c>\u001f</c>, <c>\uffff</c>), and NUnit's own name filter is internal.
/// </summary>
internal sealed class FullNameMatch(string fullName) : TestFilter
{
    public override bool Match(ITest test) => string.Equals(test.FullName, fullName, StringComparison.Ordinal);

    public override TNode AddToXml(TNode parentNode, bool recursive) => parentNode.AddElement("test", fullName);
}
