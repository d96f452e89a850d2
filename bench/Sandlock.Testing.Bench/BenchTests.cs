using Xunit;

namespace Sandlock.Testing.Bench;

/// <summary>The test whose per-test cost is measured: trivial, so that what is measured is the runner path.</summary>
public sealed class BenchTests
{
    [Fact]
    public void AddsNumbers() => Assert.Equal(4, 2 + 2);
}
