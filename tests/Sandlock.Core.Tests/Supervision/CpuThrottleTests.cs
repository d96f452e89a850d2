using Sandlock.Lifecycle;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

public sealed class CpuThrottleTests
{
    [Fact]
    public async Task A_throttled_sandbox_is_stopped_part_of_the_time_and_still_finishes()
    {
        await using var sandbox = new Sandbox(SystemOnly().Cpu(20).Build(), ["sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo done"]);
        sandbox.Start();
        var pid = sandbox.Pid!.Value;
        var wait = sandbox.WaitAsync();
        Assert.True(SpinWait.SpinUntil(() => wait.IsCompleted || Procfs.State(pid) == "T", TimeSpan.FromSeconds(30)));
        var result = await wait;
        AssertSucceeded(result);
        Assert.Equal("done\n", result.StandardOutputText);
    }

    [Fact]
    public async Task A_caller_pause_is_not_undone_by_the_throttle()
    {
        await using var sandbox = new Sandbox(SystemOnly().Cpu(50).Build(), ["sleep", "30"]);
        sandbox.Start();
        var pid = sandbox.Pid!.Value;
        sandbox.Pause();
        // Several throttle periods pass; the process must stay stopped throughout.
        for (var i = 0; i < 10; i++)
        {
            await Task.Delay(50);
            Assert.Equal("T", Procfs.State(pid));
        }
        sandbox.Resume();
        sandbox.Kill();
        Assert.True((await sandbox.WaitAsync()).Status.Killed);
    }
}
