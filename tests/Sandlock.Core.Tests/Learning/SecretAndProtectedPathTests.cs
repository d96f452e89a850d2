using Sandlock.Policy.Learning;
using Sandlock.Tests.TestSupport;

namespace Sandlock.Tests.Learning;

/// <summary>The list of secret-looking paths and of folders a learned policy never grants whole.</summary>
public sealed class SecretAndProtectedPathTests
{
    [Theory]
    [InlineData("/home/u/.ssh")]
    [InlineData("/home/u/.ssh/known_hosts")]
    [InlineData("/home/u/.aws/credentials")]
    [InlineData("/home/u/.gnupg/pubring.kbx")]
    [InlineData("/home/u/.kube/config")]
    [InlineData("/home/u/.docker/config.json")]
    [InlineData("/home/u/.netrc")]
    [InlineData("/home/u/.git-credentials")]
    [InlineData("/home/u/.local/share/keyrings/login.keyring")]
    [InlineData("/home/u/.config/gh/hosts.yml")]
    [InlineData("/srv/app/.env")]
    [InlineData("/srv/app/.env.production")]
    [InlineData("/srv/app/id_ed25519")]
    [InlineData("/srv/app/server.pem")]
    [InlineData("/srv/app/server.KEY")]
    [InlineData("/srv/app/store.p12")]
    [InlineData("/etc/shadow")]
    [InlineData("/etc/ssh/ssh_host_ed25519_key")]
    [InlineData("/etc/ssl/private/server.key")]
    public void Secret_looking_paths_are_named(string path) => Assert.NotNull(SecretPaths.Why(path));

    [Theory]
    [InlineData("/etc/hostname")]
    [InlineData("/usr/share/keyrings/debian-archive-keyring.gpg")]
    [InlineData("/etc/ssl/certs/ISRG_Root_X1.pem")]
    [InlineData("/usr/lib/python3/dist-packages/certifi/cacert.pem")]
    [InlineData("/srv/app/environment.txt")]
    [InlineData("/srv/app/.envrc.sample.txt")]
    [InlineData("/srv/app/sshd.conf")]
    [InlineData("/etc/sshd")]
    public void Ordinary_paths_are_not_secret(string path) => Assert.Null(SecretPaths.Why(path));

    [Theory]
    [InlineData("/")]
    [InlineData("/etc")]
    [InlineData("/usr")]
    [InlineData("/usr/bin")]
    [InlineData("/tmp")]
    [InlineData("/home")]
    [InlineData("/proc")]
    [InlineData("/home/u")]
    [InlineData("/home/u/")]
    [InlineData("/home/u/.config")]
    [InlineData("/home/u/.ssh")]
    public void System_and_home_folders_are_protected(string folder) => Assert.True(new ProtectedFolders("/home/u").IsProtected(folder));

    [Fact]
    public void A_project_folder_is_not_protected_unless_it_holds_a_secret()
    {
        using var dir = new TempDir();
        dir.Write("plain/readme.txt", "");
        dir.Write("keys/.env", "TOKEN=1");
        var folders = new ProtectedFolders("/home/u");
        Assert.Null(folders.Why(dir["plain"]));
        Assert.Contains(".env", folders.Why(dir["keys"]));
    }
}
