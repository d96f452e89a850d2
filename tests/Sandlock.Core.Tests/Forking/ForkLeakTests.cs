using Sandlock.Tests.Lifecycle;
using Sandlock.Tests.Orchestration;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Forking;

/// <summary>Counts the test process's fds, so it runs alone with the other leak tests.</summary>
[Collection(nameof(ResourceLeakTests))]
public sealed class ForkLeakTests(ForkTests.Templates templates) : IClassFixture<ForkTests.Templates>
{
    [Fact]
    public async Task Many_templates_clones_and_reductions_leave_no_fd_behind()
    {
        var policy = SystemOnly().FsRead(templates.Folder).Build();
        async Task RunOnce()
        {
            await using (var template = new Sandbox(policy, [templates.C, "number"]) { ForkTemplate = true })
            {
                template.Start();
                var clones = await template.ForkAsync(5);
                var reduced = await Sandbox.ReduceAsync(policy, ["wc", "-l"], clones);
                Assert.Equal("5", reduced.StandardOutputText.Trim());
            }
            await using (var waiting = new Sandbox(policy, [templates.C, "wait"]) { ForkTemplate = true })
            {
                waiting.Start();
                await waiting.ForkAsync(3);
            }
            await using var early = new Sandbox(policy, [templates.C, "not-ready"]) { ForkTemplate = true };
            early.Start();
            await Assert.ThrowsAsync<SandboxSetupException>(() => early.ForkAsync(1));
        }

        for (var i = 0; i < 5; i++) await RunOnce();
        var warm = ProcessResources.Now();
        for (var i = 0; i < 40; i++) await RunOnce();
        var after = await SettledResources.After(warm);
        Assert.True(after.Fds <= warm.Fds + SettledResources.FdSlack, $"fds: {warm.Fds} warm, {after.Fds} after 40 rounds");
        Assert.True(after.Memfds <= warm.Memfds, $"memfds: {warm.Memfds} warm, {after.Memfds} after 40 rounds");
    }
}
