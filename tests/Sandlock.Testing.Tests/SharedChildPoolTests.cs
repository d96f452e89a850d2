using Sandlock.Testing.Sharing;

namespace Sandlock.Testing.Tests;

public sealed class SharedChildPoolTests
{
    private static readonly Task<SharedChild?> NoChild = Task.FromResult<SharedChild?>(null);

    private static SharingScope Class(SharedChildPool pool, string name) => new(pool, name);

    [Fact]
    public async Task ClassesToComeAreTheExpectedOnesLessThoseThatTookAChildAndTheChildrenWaiting()
    {
        await using var pool = new SharedChildPool();
        pool.ExpectClasses("ahead", "group", 3);
        pool.StartingAhead("ahead", "group", NoChild);
        pool.StartingAhead("ahead", "group", NoChild);
        // The first class takes one of the two waiting: of the two classes to come, one has no child waiting yet.
        await pool.TakeIdleAsync("ahead", "group");
        Assert.Equal(1, pool.ClassTookChild("ahead", "group", Class(pool, "A")));
        pool.StartingAhead("ahead", "group", NoChild);
        await pool.TakeIdleAsync("ahead", "group");
        Assert.Equal(0, pool.ClassTookChild("ahead", "group", Class(pool, "B")));
        await pool.TakeIdleAsync("ahead", "group");
        Assert.Equal(0, pool.ClassTookChild("ahead", "group", Class(pool, "C")));
        // A class the framework did not count (it ran more than it said) starts nothing more.
        Assert.Equal(0, pool.ClassTookChild("ahead", "group", Class(pool, "D")));
    }

    [Fact]
    public void WithoutExpectedClassesNoChildIsStartedAheadForClassesToCome()
    {
        var pool = new SharedChildPool();
        Assert.Equal(0, pool.ClassTookChild("ahead", "group", Class(pool, "A")));
    }

    [Fact]
    public void GroupsCountTheirClassesApart()
    {
        var pool = new SharedChildPool();
        pool.ExpectClasses("ahead", "one", 4);
        pool.ExpectClasses("ahead", "other", 1);
        Assert.Equal(0, pool.ClassTookChild("ahead", "other", Class(pool, "A")));
        Assert.Equal(3, pool.ClassTookChild("ahead", "one", Class(pool, "B")));
    }

    [Fact]
    public void AClassThatTakesAChildForEachTestIsCountedOnce()
    {
        // NUnit hands the runner one test at a time: each of a class's tests takes the class's child anew.
        var pool = new SharedChildPool();
        pool.ExpectClasses("ahead", "group", 3);
        Assert.Equal(2, pool.ClassTookChild("ahead", "group", Class(pool, "A")));
        Assert.Equal(0, pool.ClassTookChild("ahead", "group", Class(pool, "A")));
        Assert.Equal(1, pool.ClassTookChild("ahead", "group", Class(pool, "B")));
    }

    [Fact]
    public void ARunOfTheAssemblyAgainCountsItsClassesAnew()
    {
        var pool = new SharedChildPool();
        pool.ExpectClasses("ahead", "group", 2);
        Assert.Equal(1, pool.ClassTookChild("ahead", "group", Class(pool, "A")));
        pool.ExpectClasses("ahead", "group", 2);
        Assert.Equal(1, pool.ClassTookChild("ahead", "group", Class(pool, "A")));
    }
}
