using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

/// <summary>
/// What <c>--fs-deny</c> can and cannot do, as README's "Limits" says: Landlock rules attach to the files the paths
/// name when the sandbox starts, so a hard link made earlier elsewhere is another way in, and a denied path that does
/// not exist yet is carved out of its allowed tree like an existing one.
/// </summary>
public sealed class DenyLimitsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sandlock-deny-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private string Folder(string name) => Directory.CreateDirectory(Path.Combine(_dir, name)).FullName;

    [Fact]
    public async Task A_hard_link_made_before_the_start_reads_a_denied_file()
    {
        var secret = Path.Combine(Folder("secret"), "key");
        File.WriteAllText(secret, "top secret\n");
        var link = Path.Combine(Folder("public"), "key");
        using (var ln = System.Diagnostics.Process.Start("ln", [secret, link])) await ln.WaitForExitAsync();

        var denied = await Run("run", "--fs-deny", Path.Combine(_dir, "secret"), "--", "cat", secret);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("Permission denied", denied.Stderr);
        // The limit: the same inode under an allowed name is readable.
        var throughLink = await Run("run", "--fs-deny", Path.Combine(_dir, "secret"), "--", "cat", link);
        Assert.Equal("top secret\n", throughLink.Stdout);
    }

    [Fact]
    public async Task A_denied_path_that_does_not_exist_cannot_be_created_and_its_parent_keeps_listing_but_not_creation()
    {
        var tree = Folder("tree");
        var sub = Folder("tree/sub");
        File.WriteAllText(Path.Combine(tree, "existing"), "kept\n");
        var missing = Path.Combine(tree, "missing");

        var create = await Run("run", "-w", tree, "--fs-deny", missing, "--", "sh", "-c", $"echo x > {missing}");
        Assert.Contains("Permission denied", create.Stderr);
        Assert.False(File.Exists(missing));

        // Existing entries keep their access; the parent of the denied path is listed (the supervisor opens it, as
        // carving must not take a granted listing away) but cannot be added to.
        var around = await Run("run", "-w", tree, "--fs-deny", missing, "--", "sh", "-c",
            $"echo y > {sub}/file && cat {tree}/existing; ls {tree} >/dev/null 2>&1 && echo listed; echo z > {tree}/other 2>/dev/null || echo no-creation");
        Assert.Equal("kept\nlisted\nno-creation\n", around.Stdout);
        Assert.True(File.Exists(Path.Combine(sub, "file")));
        Assert.False(File.Exists(Path.Combine(tree, "other")));
    }

    [Fact]
    public async Task A_denied_path_outside_every_allowed_tree_changes_nothing()
    {
        var tree = Folder("allowed");
        var r = await Run("run", "-w", tree, "--fs-deny", Path.Combine(_dir, "elsewhere", "missing"), "--", "sh", "-c", $"echo x > {tree}/f && ls {tree}");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("f\n", r.Stdout);
    }
}
