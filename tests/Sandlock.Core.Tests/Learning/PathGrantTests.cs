using Sandlock.Policy.Learning;
using Sandlock.Tests.TestSupport;

namespace Sandlock.Tests.Learning;

/// <summary>How the paths a run used collapse into grants: as few as let it run again, none wider than must be.</summary>
public sealed class PathGrantTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ProtectedFolders _protected = new("/home/u");

    public void Dispose() => _dir.Dispose();

    private (IReadOnlyList<PathGrant> Grants, IReadOnlyList<PathRefusal> Refused) Grants(params ObservedPath[] uses) => PathGrants.From(uses, _protected);

    private static ObservedPath Use(string path, PathUse use, string? entry = null) => new(path, use, "prog", entry);

    [Fact]
    public void A_file_read_is_granted_as_its_folder()
    {
        var file = _dir.Write("project/src/a.txt", "");
        _dir.Write("project/src/b.txt", "");
        var (grants, refused) = Grants(Use(file, PathUse.Read), Use(_dir["project/src/b.txt"], PathUse.Read));
        var grant = Assert.Single(grants);
        Assert.Equal((_dir["project/src"], false), (grant.Path, grant.Write));
        Assert.Equal(2, grant.Uses.Count);
        Assert.Empty(refused);
    }

    [Fact]
    public void A_file_in_a_system_folder_is_granted_alone()
    {
        var (grants, _) = Grants(Use("/etc/hostname", PathUse.Read), Use("/usr/bin/env", PathUse.Execute));
        Assert.Equal(["/etc/hostname", "/usr/bin/env"], grants.Select(g => g.Path));
    }

    [Fact]
    public void A_file_beside_a_secret_is_granted_alone()
    {
        _dir.Write("app/.env", "TOKEN=1");
        var config = _dir.Write("app/config.json", "{}");
        var grant = Assert.Single(Grants(Use(config, PathUse.Read)).Grants);
        Assert.Equal(config, grant.Path);
    }

    [Fact]
    public void Secret_looking_files_are_never_granted()
    {
        var key = _dir.Write("keys/.ssh/id_rsa", "KEY");
        var pem = _dir.Write("certs/server.pem", "KEY");
        var (grants, refused) = Grants(Use(key, PathUse.Read), Use(pem, PathUse.Read), Use(_dir["keys/.ssh"], PathUse.List));
        Assert.Empty(grants);
        Assert.Equal(3, refused.Count);
        Assert.All(refused, r => Assert.Contains("never granted", r.Why));
    }

    [Fact]
    public void A_listed_folder_is_granted_whole_unless_it_is_protected()
    {
        var listed = _dir.Mkdir("data");
        var (grants, refused) = Grants(Use(listed, PathUse.List), Use("/", PathUse.List), Use("/etc", PathUse.List), Use("/home/u", PathUse.List));
        Assert.Equal(listed, Assert.Single(grants).Path);
        Assert.Equal(["/", "/etc", "/home/u"], refused.Select(r => r.Use.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Writes_are_granted_as_the_folder_they_change()
    {
        var output = _dir.Mkdir("out");
        var log = _dir.Write("logs/run.log", "");
        var (grants, _) = Grants(Use(output, PathUse.ChangeIn, "result.txt"), Use(log, PathUse.Modify));
        Assert.Equal([(_dir["logs"], true), (output, true)], grants.Select(g => (g.Path, g.Write)).Order());
    }

    [Fact]
    public void A_change_in_a_protected_folder_is_refused_but_a_temporary_folder_is_granted()
    {
        var (grants, refused) = Grants(Use("/home/u", PathUse.ChangeIn, "notes.txt"), Use("/etc", PathUse.ChangeIn, "motd"), Use("/tmp", PathUse.ChangeIn, "tmp.X1"));
        Assert.Equal(("/tmp", true), (Assert.Single(grants).Path, grants[0].Write));
        Assert.Equal(2, refused.Count);
        Assert.All(refused, r => Assert.Contains("needs write on", r.Why));
    }

    [Fact]
    public void A_read_inside_a_write_grant_is_covered_by_it()
    {
        var output = _dir.Mkdir("out");
        var input = _dir.Write("out/sub/input.txt", "");
        var grant = Assert.Single(Grants(Use(input, PathUse.Read), Use(output, PathUse.ChangeIn, "x")).Grants);
        Assert.Equal((output, true), (grant.Path, grant.Write));
        Assert.Equal(2, grant.Uses.Count);
    }

    [Fact]
    public void A_write_inside_a_read_grant_stays_a_write()
    {
        var data = _dir.Mkdir("data");
        var output = _dir.Mkdir("data/out");
        var (grants, _) = Grants(Use(data, PathUse.List), Use(output, PathUse.ChangeIn, "x"));
        Assert.Equal([(data, false), (output, true)], grants.Select(g => (g.Path, g.Write)));
    }

    [Fact]
    public void Proc_is_granted_as_the_view_and_standard_devices_need_nothing()
    {
        var (grants, refused) = Grants(Use("/proc/1234/status", PathUse.Read), Use("/proc", PathUse.Read), Use("/dev/null", PathUse.Modify));
        Assert.Equal("/proc", Assert.Single(grants).Path);
        Assert.Empty(refused);
    }

    [Fact]
    public void Nothing_collapses_to_the_root()
    {
        var (grants, _) = Grants(Use("/etc/hostname", PathUse.Read), Use("/usr/bin/env", PathUse.Execute), Use("/", PathUse.List), Use("/", PathUse.ChangeIn, "x"));
        Assert.DoesNotContain(grants, g => g.Path == "/");
    }

    [Fact]
    public void A_file_gone_from_a_protected_folder_is_refused_not_widened()
    {
        var (grants, refused) = Grants(Use("/etc/sandlock-never-existed", PathUse.Read));
        Assert.Empty(grants);
        Assert.Contains("no longer exists", Assert.Single(refused).Why);
    }
}
