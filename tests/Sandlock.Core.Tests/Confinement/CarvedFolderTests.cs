using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Confinement;

/// <summary>
/// Carving (a deny inside a granted tree, or the /proc view under `-r /`) must not take away the listing of the
/// folders the user granted: the supervisor lists them, while what is denied stays denied.
/// </summary>
public sealed class CarvedFolderTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public async Task Reading_all_of_the_root_lets_the_root_be_listed_while_proc_stays_a_view()
    {
        var result = await Sh(new SandboxPolicyBuilder().FsRead("/"), "ls / && cd / && ls . >/dev/null && echo listed; ls /proc | grep -c '^[0-9]'");
        AssertSucceeded(result);
        Assert.Contains("usr\n", result.StandardOutputText);
        Assert.Contains("listed\n", result.StandardOutputText);
        // The shell, ls and grep: the view still shows only the sandbox's processes.
        var processes = int.Parse(result.StandardOutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]);
        Assert.InRange(processes, 1, 8);
    }

    [Fact]
    public async Task The_ancestors_of_a_denied_folder_can_be_listed_and_the_denied_folder_cannot()
    {
        _tmp.Write("a/secret/key", "top secret");
        _tmp.Write("a/file", "plain");
        var policy = Sandboxed.SystemOnly().FsRead(_tmp.Path).FsDeny(_tmp["a/secret"]);

        var listed = await Sh(policy, $"ls {_tmp.Path}; ls {_tmp["a"]}; cat {_tmp["a/file"]}");
        AssertSucceeded(listed);
        Assert.Equal("a\nfile\nsecret\nplain", listed.StandardOutputText);

        AssertDenied(await Run(policy, "cat", _tmp["a/secret/key"]));
        AssertDenied(await Run(policy, "ls", _tmp["a/secret"]));
    }

    [Fact]
    public async Task A_listed_folder_is_not_a_way_to_write_or_to_reach_the_denied_folder()
    {
        _tmp.Write("a/secret/key", "top secret");
        var policy = Sandboxed.SystemOnly().FsRead(_tmp.Path).FsDeny(_tmp["a/secret"]);

        AssertDenied(await Sh(policy, $"touch {_tmp["a/new"]}"));
        Assert.False(File.Exists(_tmp["a/new"]));
        // Relative to the listed folder's fd, the kernel checks the denied folder itself.
        AssertDenied(await Sh(policy, $"cd {_tmp["a"]} && cat secret/key"));
    }

    [Fact]
    public async Task A_list_only_folder_shows_its_names_and_nothing_in_it_can_be_read_or_written()
    {
        _tmp.Write("above/inside/file", "contents");
        _tmp.Write("above/other", "not granted");
        var policy = Sandboxed.SystemOnly().FsRead(_tmp["above/inside"]).FsListOnly(_tmp["above"]);

        var listed = await Sh(policy, $"ls {_tmp["above"]}; cat {_tmp["above/inside/file"]}");
        AssertSucceeded(listed);
        Assert.Equal("inside\nother\ncontents", listed.StandardOutputText);

        AssertDenied(await Run(policy, "cat", _tmp["above/other"]));
        AssertDenied(await Sh(policy, $"cd {_tmp["above"]} && cat other"));
        AssertDenied(await Sh(policy, $"touch {_tmp["above/new"]}"));
        Assert.False(File.Exists(_tmp["above/new"]));
        // Without the list-only folder its listing is refused, as before.
        AssertDenied(await Run(Sandboxed.SystemOnly().FsRead(_tmp["above/inside"]), "ls", _tmp["above"]));
    }

    [Fact]
    public async Task A_carved_folder_changed_between_two_starts_of_a_policy_is_planned_as_it_is_now()
    {
        _tmp.Write("a/secret/key", "top secret");
        _tmp.Write("a/file", "plain");
        _tmp.Write("a/other", "other");
        var policy = Sandboxed.SystemOnly().FsRead(_tmp.Path).FsDeny(_tmp["a/secret"]);
        AssertSucceeded(await Run(policy, "cat", _tmp["a/file"]));

        // A new entry, a file made a folder, and a file made a symlink to the denied secret, between the starts.
        _tmp.Write("a/added", "added");
        File.Delete(_tmp["a/file"]);
        _tmp.Write("a/file/inside", "in a folder now");
        File.Delete(_tmp["a/other"]);
        File.CreateSymbolicLink(_tmp["a/other"], _tmp["a/secret/key"]);

        var after = await Sh(policy, $"cat {_tmp["a/added"]}; ls {_tmp["a/file"]}");
        AssertSucceeded(after);
        Assert.Equal("addedinside\n", after.StandardOutputText);
        AssertDenied(await Run(policy, "cat", _tmp["a/other"]));
    }

    [Fact]
    public void A_folders_entries_are_remembered_until_an_entry_is_added_removed_or_replaced()
    {
        _tmp.Write("f/one", "1");
        var first = Sandlock.Confinement.Landlock.FolderEntries.Of(_tmp["f"])!;

        Assert.Same(first, Sandlock.Confinement.Landlock.FolderEntries.Of(_tmp["f"]));
        _tmp.Write("f/two", "2");
        var second = Sandlock.Confinement.Landlock.FolderEntries.Of(_tmp["f"])!;
        Assert.Equal(["one", "two"], second.Select(e => Path.GetFileName(e.Path)).Order());
        File.Delete(_tmp["f/two"]);
        Directory.CreateDirectory(_tmp["f/two"]);
        Assert.Contains(Sandlock.Confinement.Landlock.FolderEntries.Of(_tmp["f"])!, e => e is { IsDirectory: true, IsLink: false } && e.Path == _tmp["f/two"]);
        Directory.Delete(_tmp["f/two"]);
        File.CreateSymbolicLink(_tmp["f/two"], _tmp["f/one"]);
        Assert.Contains(Sandlock.Confinement.Landlock.FolderEntries.Of(_tmp["f"])!, e => e is { IsLink: true } && e.Path == _tmp["f/two"]);
        Assert.Null(Sandlock.Confinement.Landlock.FolderEntries.Of(_tmp["gone"]));
    }
}
