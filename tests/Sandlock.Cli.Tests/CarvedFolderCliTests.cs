using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

/// <summary>`sandlock run -r / -- ls /` lists the root as root and as nobody, though /proc is carved out for its view.</summary>
public sealed class CarvedFolderCliTests(UnprivilegedTests.UnprivilegedCli cli) : IClassFixture<UnprivilegedTests.UnprivilegedCli>
{
    [Theory, InlineData(false), InlineData(true)]
    public async Task Reading_all_of_the_root_lets_it_be_listed(bool asNobody)
    {
        string[] args = ["run", "-r", "/", "--", "ls", "/"];
        var r = asNobody ? await cli.Run(args) : await Run(args);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("usr\n", r.Stdout);
        Assert.Contains("proc\n", r.Stdout);
    }
}
