using Sandlock.Testing.Policy;

namespace Sandlock.Testing.Tests;

public sealed class TestSeedTests
{
    [Fact]
    public void SeedIsAFixedFunctionOfTheFullName()
    {
        // FNV-1a over UTF-16 code units; a change here changes every seeded test's numbers.
        Assert.Equal(TestSeed.For("Ns.Class.Method"), TestSeed.For("Ns.Class.Method"));
        Assert.Equal(12537192989625201636UL, TestSeed.For("XunitFixture.SandboxedTests.PrintsSeededRandomNumbers"));
        Assert.NotEqual(TestSeed.For("Ns.Class.Method(1)"), TestSeed.For("Ns.Class.Method(2)"));
    }

    [Fact]
    public void MoreSpecificSettingsWinAndPathListsAddUp()
    {
        var assembly = new SandboxSettings { Read = ["/a"], TimeoutSeconds = 5, Source = "assembly" };
        var method = new SandboxSettings { Read = ["/b"], MaxMemory = "1G", Source = "method" };
        var merged = SandboxSettings.Empty.Over(assembly).Over(null).Over(method);
        Assert.Equal(["/a", "/b"], merged.Read);
        Assert.Equal((5, "1G", "method"), (merged.TimeoutSeconds, merged.MaxMemory, merged.Source));
        Assert.Null(merged.RandomSeed);
    }
}
