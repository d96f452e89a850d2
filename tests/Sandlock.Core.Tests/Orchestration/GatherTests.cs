using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Orchestration;

public sealed class GatherTests : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Two_sources_reach_the_consumer_on_fd_3_and_stdin_with_their_names_in_the_environment()
    {
        var policy = SystemOnly().Build();
        var result = await new Gather()
            .Source("data", new Stage(policy, ["echo", "alpha"]))
            .Source("code", new Stage(policy, ["echo", "beta"]))
            .Consumer(new Stage(policy, ["sh", "-c", "echo \"$_SANDLOCK_GATHER\"; cat <&3; cat"]))
            .RunAsync(Generous);
        AssertSucceeded(result);
        Assert.Equal("data:3,code:0\nalpha\nbeta\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Three_sources_take_fd_3_and_4_and_stdin()
    {
        var policy = SystemOnly().Build();
        var result = await new Gather()
            .Source("one", new Stage(policy, ["echo", "1"]))
            .Source("two", new Stage(policy, ["echo", "2"]))
            .Source("three", new Stage(policy, ["echo", "3"]))
            .Consumer(new Stage(policy, ["sh", "-c", "echo \"$_SANDLOCK_GATHER\"; cat <&4; cat <&3; cat; ls /proc/self/fd | sort -n | tr '\\n' ' '"]))
            .RunAsync(Generous);
        AssertSucceeded(result);
        var lines = result.StandardOutputText.Split('\n');
        Assert.Equal(["one:3,two:4,three:0", "2", "1", "3"], lines[..4]);
        // Nothing of the parent's beyond the gathered fds (ls's own directory fd aside).
        Assert.DoesNotContain(" 6 ", " " + lines[4]);
    }

    [Fact]
    public async Task Each_source_is_confined_by_its_own_policy()
    {
        var secret = _dir.Write("secret.txt", "only for the first\n");
        var reader = SystemOnly().FsRead(_dir.Path).Build();
        var other = SystemOnly().Build();
        var result = await new Gather()
            .Source("allowed", new Stage(reader, ["cat", secret]))
            .Source("refused", new Stage(other, ["sh", "-c", $"cat {secret} || echo refused"]))
            .Consumer(new Stage(other, ["sh", "-c", "cat <&3; cat"]))
            .RunAsync(Generous);
        AssertSucceeded(result);
        Assert.Equal("only for the first\nrefused\n", result.StandardOutputText);
    }

    [Fact]
    public async Task A_gather_without_consumer_or_sources_is_refused()
    {
        var stage = new Stage(SystemOnly().Build(), ["true"]);
        await Assert.ThrowsAsync<InvalidOperationException>(() => new Gather().Source("a", stage).RunAsync());
        await Assert.ThrowsAsync<InvalidOperationException>(() => new Gather().Consumer(stage).RunAsync());
        Assert.Throws<ArgumentException>(() => new Gather().Source("a:b", stage));
    }
}
