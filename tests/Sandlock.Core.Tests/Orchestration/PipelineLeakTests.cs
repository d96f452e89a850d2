using Sandlock.Tests.Lifecycle;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Orchestration;

/// <summary>Counts the test process's fds, so it runs alone with the other leak tests.</summary>
[Collection(nameof(ResourceLeakTests))]
public sealed class PipelineLeakTests
{
    [Fact]
    public async Task Many_pipelines_and_gathers_leave_no_fd_behind()
    {
        var policy = SystemOnly().Build();
        async Task RunOnce(int i)
        {
            var piped = await (new Stage(policy, ["echo", $"{i}"]) | new Stage(policy, ["cat"]) | new Stage(policy, ["cat"])).RunAsync(TimeSpan.FromSeconds(60));
            Assert.Equal($"{i}\n", piped.StandardOutputText);
            var gathered = await new Gather()
                .Source("a", new Stage(policy, ["echo", "a"]))
                .Source("b", new Stage(policy, ["echo", "b"]))
                .Consumer(new Stage(policy, ["sh", "-c", "cat <&3; cat"]))
                .RunAsync(TimeSpan.FromSeconds(60));
            Assert.Equal("a\nb\n", gathered.StandardOutputText);
            await Assert.ThrowsAsync<SandboxSetupException>(() => (new Stage(policy, ["yes"]) | new Stage(policy, ["/nonexistent"])).RunAsync());
        }

        for (var i = 0; i < 5; i++) await RunOnce(i);
        var warm = ProcessResources.Now();
        for (var i = 0; i < 60; i++) await RunOnce(i);
        var after = await SettledResources.After(warm);
        Assert.True(after.Fds <= warm.Fds + SettledResources.FdSlack, $"fds: {warm.Fds} warm, {after.Fds} after 60 rounds");
        Assert.True(after.Memfds <= warm.Memfds, $"memfds: {warm.Memfds} warm, {after.Memfds} after 60 rounds");
    }
}
