using System.Text;
using Sandlock.Lifecycle;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;
using static Sandlock.Tests.TestSupport.SeededDraws;

namespace Sandlock.Tests.Determinism;

/// <summary>
/// A shared test child's next job: the seeded /dev/urandom the supervisor makes ahead for the announced seed is the
/// one a fresh sandbox with that seed reads, and an announced seed the restart does not take is never served.
/// </summary>
public sealed class RestartedJobDeviceTests
{
    [Fact]
    public async Task After_a_restart_dev_urandom_serves_the_restarts_seed_whether_or_not_it_was_prepared_for()
    {
        using var dir = new TempDir();
        // Each draw, then wait for the parent's go (a file) before the next.
        var script = $"{Draw}; until [ -e {dir["go1"]} ]; do sleep 0.01; done; {Draw}; until [ -e {dir["go2"]} ]; do sleep 0.01; done; {Draw}";
        var lines = new List<string>();
        var pending = new StringBuilder();
        var arrived = new SemaphoreSlim(0);
        await using var sandbox = new Sandbox(SystemOnly().FsRead(dir.Path).RandomSeed(1).Build(), ["/bin/sh", "-c", script])
        {
            Timeout = TimeSpan.FromSeconds(60),
            OnStandardOutput = chunk =>
            {
                lock (lines)
                {
                    pending.Append(Encoding.ASCII.GetString(chunk));
                    while (pending.ToString().IndexOf('\n') is var end and >= 0)
                    {
                        lines.Add(pending.ToString(0, end));
                        pending.Remove(0, end + 1);
                        arrived.Release();
                    }
                }
            },
        };
        sandbox.Start();
        var exit = sandbox.WaitAsync();
        async Task NextLine()
        {
            var line = arrived.WaitAsync();
            Assert.Same(line, await Task.WhenAny(line, exit));
        }

        await NextLine();
        sandbox.PrepareJob(7);
        sandbox.RestartJob(7);
        File.WriteAllText(dir["go1"], "");
        await NextLine();
        sandbox.PrepareJob(8);
        sandbox.RestartJob(9);
        File.WriteAllText(dir["go2"], "");
        AssertSucceeded(await exit);

        Assert.Equal([await FreshAsync(1), await FreshAsync(7), await FreshAsync(9)], lines);
        Assert.NotEqual(await FreshAsync(8), lines[2]);
    }
}
