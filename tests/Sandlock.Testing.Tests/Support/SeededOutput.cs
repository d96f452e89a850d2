using Sandlock.Testing.Policy;

namespace Sandlock.Testing.Tests.Support;

/// <summary>What the fixtures' PrintsSeededRandomNumbers must print on every run: numbers from the seed of its full name.</summary>
public static class SeededOutput
{
    public static string For(string testFullName)
    {
        var seed = TestSeed.For(testFullName);
        var random = new Random((int)(seed % int.MaxValue));
        return $"seed {seed}: {random.Next()} {random.Next()} {random.Next()}";
    }
}
