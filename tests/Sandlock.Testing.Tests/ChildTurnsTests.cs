using Sandlock.Testing.Sharing;

namespace Sandlock.Testing.Tests;

public sealed class ChildTurnsTests
{
    [Fact]
    public async Task AGroupHasOneChildUntilItsFirstChildIsReady()
    {
        using var turns = new ChildTurns(maxChildren: 2);
        var first = await turns.TakeAsync(CancellationToken.None);
        var second = turns.TakeAsync(CancellationToken.None);
        Assert.False(second.IsCompleted);
        Assert.Equal(1, turns.Children);
        // Given back, the turn goes to the test that waited.
        first.Dispose();
        (await second).Dispose();
        Assert.Equal(1, turns.Children);
    }

    [Fact]
    public async Task ATestThatWaitedLongerThanAChildStartGetsAChildOfItsOwnUpToTheBound()
    {
        // A machine with processors to spare.
        using var turns = new ChildTurns(maxChildren: 2, idleProcessors: () => 2);
        using var first = await turns.TakeAsync(CancellationToken.None);
        var second = turns.TakeAsync(CancellationToken.None);
        var third = turns.TakeAsync(CancellationToken.None);
        // A child that starts at once: any wait is longer than a start, so the longest waiter gets a second child.
        turns.ChildReady(TimeSpan.Zero);
        using var secondTurn = await second;
        Assert.Equal(2, turns.Children);
        Assert.False(third.IsCompleted);
        first.Dispose();
        (await third).Dispose();
        Assert.Equal(2, turns.Children);
    }

    [Fact]
    public async Task OnAMachineWithNoIdleProcessorAWaiterGetsNoSecondChild()
    {
        using var looked = new SemaphoreSlim(0);
        using var turns = new ChildTurns(maxChildren: 2, idleProcessors: () =>
        {
            looked.Release();
            return 0.5;
        });
        var first = await turns.TakeAsync(CancellationToken.None);
        var second = turns.TakeAsync(CancellationToken.None);
        turns.ChildReady(TimeSpan.Zero);
        // The first look starts the window; the second is the check after the child's start time, which finds no idle processor.
        await looked.WaitAsync();
        await looked.WaitAsync();
        Assert.Equal(1, turns.Children);
        Assert.False(second.IsCompleted);
        first.Dispose();
        (await second).Dispose();
        Assert.Equal(1, turns.Children);
    }

    [Fact]
    public void IdleProcessorsReadsTheMachinesIdleTime()
    {
        var idle = new IdleProcessors();
        Assert.Equal(0, idle.SinceLastCall());
        Thread.Sleep(200);
        var measured = idle.SinceLastCall();
        Assert.InRange(measured, 0, Environment.ProcessorCount + 1);
    }

    [Fact]
    public async Task AWaiterThatGivesUpTakesNoTurn()
    {
        using var turns = new ChildTurns(maxChildren: 1);
        var first = await turns.TakeAsync(CancellationToken.None);
        using var giveUp = new CancellationTokenSource();
        var abandoned = turns.TakeAsync(giveUp.Token);
        var next = turns.TakeAsync(CancellationToken.None);
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        first.Dispose();
        (await next).Dispose();
    }
}
