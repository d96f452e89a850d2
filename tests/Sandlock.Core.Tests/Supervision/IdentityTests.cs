using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

public sealed class IdentityTests
{
    [Fact]
    public async Task The_command_sees_the_uid_and_gid_it_was_given()
    {
        var result = await Sh(SystemOnly().Uid(4242).Gid(4343), "id -u; id -g");
        Assert.Equal("4242\n4343\n", result.StandardOutputText);
        var resolved = await Run(SystemOnly().Uid(4242), "perl", "-e", "my ($r, $e) = ($<, $>); print \"$r $e\"");
        Assert.Equal("4242 4242", resolved.StandardOutputText);
    }

    [Fact]
    public async Task A_virtual_root_still_cannot_read_what_the_policy_denies()
    {
        using var dir = new TempDir();
        var secret = dir.Write("secret", "s");
        var result = await Sh(SystemOnly().Uid(0), $"id -u; cat {secret}");
        Assert.Equal("0\n", result.StandardOutputText);
        Assert.Contains("Permission denied", result.StandardErrorText);
    }
}
