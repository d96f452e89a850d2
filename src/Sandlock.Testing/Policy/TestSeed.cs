namespace Sandlock.Testing.Policy;

/// <summary>A stable random seed per test: FNV-1a (64-bit) of the test's full name, the same on every run and machine.</summary>
internal static class TestSeed
{
    public static ulong For(string testFullName)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in testFullName)
        {
            hash = (hash ^ (byte)c) * 1099511628211UL;
            hash = (hash ^ (byte)(c >> 8)) * 1099511628211UL;
        }
        return hash;
    }
}
