using Sandlock.Policy;
using Sandlock.Policy.Files;

namespace Sandlock.Tests.PolicyFiles;

public sealed class ProfileStoreTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void ListsProfilesSortedByName()
    {
        _temp.Write("web.toml", "[limits]\nopen_files = 64\n");
        _temp.Write("build-tools.toml", "");
        _temp.Write("notes.txt", "");
        var store = new ProfileStore(_temp.Path);

        Assert.Equal(["build-tools", "web"], store.List());
    }

    [Fact]
    public void MissingDirectoryListsNothing()
    {
        Assert.Empty(new ProfileStore(_temp.Combine("absent")).List());
    }

    [Fact]
    public void LoadsAProfileByName()
    {
        _temp.Write("py.toml", "[program]\nexec = \"python3\"\n");
        var store = new ProfileStore(_temp.Path);

        var file = store.Load("py");

        Assert.Equal(_temp.Combine("py.toml"), file.Path);
        Assert.Equal(["python3"], file.Command!);
    }

    [Fact]
    public void MissingProfileListsTheAvailableOnes()
    {
        _temp.Write("a.toml", "");
        _temp.Write("b.toml", "");
        var e = Assert.Throws<PolicyException>(() => new ProfileStore(_temp.Path).Load("c"));
        Assert.Equal("profile c", e.Source);
        Assert.Equal("profile c: no such profile; available: a, b", e.Message);
    }

    [Theory]
    [InlineData("../etc/passwd")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("")]
    [InlineData("sp ace")]
    public void RejectsNamesThatAreNotPlainFileNames(string name)
    {
        var e = Assert.Throws<PolicyException>(() => new ProfileStore(_temp.Path).PathOf(name));
        Assert.Contains("invalid profile name", e.Message);
    }

    [Fact]
    public void PathOfPutsTheProfileInTheDirectory()
    {
        var store = new ProfileStore(_temp.Path);
        Assert.Equal(Path.Combine(_temp.Path, "my_profile.v2.toml"), store.PathOf("my_profile.v2"));
    }

    [Fact]
    public void DefaultDirectoryIsUnderTheUserConfigFolder()
    {
        Assert.EndsWith(Path.Combine("sandlock", "profiles"), new ProfileStore().Directory);
    }
}

public sealed class PolicyFileLineTests
{
    [Fact]
    public void LineOf_names_the_key_else_its_section_else_zero()
    {
        var file = Sandlock.Policy.Files.PolicyFile.Parse("[filesystem]\nread = [\"/usr\"]\n\n[network]\nallow_bind = [8080]\n", "sandlock.toml");
        Assert.Equal(2, file.LineOf("filesystem", "read"));
        Assert.Equal(4, file.LineOf("network", "allow"));
        Assert.Equal(0, file.LineOf("limits", "memory"));
    }
}
