using System.Reflection;

namespace Sandlock.Tests.Policy;

/// <summary>
/// A SandboxPolicy that did not come from the builder cannot skip its validation: outside Sandlock.Core nothing can
/// construct one or set a field (a `with` expression needs the init accessors).
/// </summary>
public sealed class ValidationOnceTests
{
    [Fact]
    public void A_policy_has_no_public_constructor_and_no_public_setter()
    {
        var type = typeof(SandboxPolicy);
        Assert.Empty(type.GetConstructors(BindingFlags.Public | BindingFlags.Instance));
        var settable = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } or { IsFamily: true } or { IsFamilyOrAssembly: true })
            .Select(p => p.Name);
        Assert.Empty(settable);
    }
}
