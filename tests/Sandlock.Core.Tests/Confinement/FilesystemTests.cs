using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Confinement;

public sealed class FilesystemTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public async Task Reading_outside_the_read_paths_is_denied()
    {
        var secret = _tmp.Write("secret.txt", "top secret");
        AssertDenied(await Run(SystemOnly(), "cat", secret));
    }

    [Fact]
    public async Task Reading_inside_a_read_path_works()
    {
        var file = _tmp.Write("data.txt", "hello");
        var result = await Run(SystemOnly().FsRead(_tmp.Path), "cat", file);
        AssertSucceeded(result);
        Assert.Equal("hello", result.StandardOutputText);
    }

    [Fact]
    public async Task Etc_hostname_is_readable_only_when_etc_is_allowed()
    {
        AssertDenied(await Run(SystemOnly(), "cat", "/etc/hostname"));
        var allowed = await Run(SystemOnly().FsRead("/etc"), "cat", "/etc/hostname");
        AssertSucceeded(allowed);
        Assert.Equal(File.ReadAllText("/etc/hostname"), allowed.StandardOutputText);
    }

    [Fact]
    public async Task Writing_outside_the_write_paths_is_denied()
    {
        var allowed = _tmp.Mkdir("a");
        var other = _tmp.Mkdir("b");
        var result = await Sh(new SandboxPolicyBuilder().FsWrite(allowed), $"echo x > {other}/file");
        AssertDenied(result);
        Assert.False(File.Exists(Path.Combine(other, "file")));
    }

    [Fact]
    public async Task Writing_inside_a_write_path_works()
    {
        var allowed = _tmp.Mkdir("a");
        AssertSucceeded(await Sh(SystemOnly().FsWrite(allowed), $"echo x > {allowed}/file && mkdir {allowed}/d && mv {allowed}/file {allowed}/d/moved"));
        Assert.Equal("x\n", File.ReadAllText(Path.Combine(allowed, "d", "moved")));
    }

    [Fact]
    public async Task A_read_path_cannot_be_written_or_truncated()
    {
        var file = _tmp.Write("ro.txt", "keep");
        AssertDenied(await Sh(SystemOnly().FsRead(_tmp.Path), $"echo y >> {file}"));
        AssertDenied(await Sh(SystemOnly().FsRead(_tmp.Path), $": > {file}"));
        AssertDenied(await Sh(SystemOnly().FsRead(_tmp.Path), $"rm {file}"), "ermission denied");
        Assert.Equal("keep", File.ReadAllText(file));
    }

    [Fact]
    public async Task A_denied_directory_inside_a_read_tree_stays_closed_while_its_siblings_stay_open()
    {
        _tmp.Write("project/src/main.c", "int main;");
        var key = _tmp.Write("project/secrets/key", "hunter2");
        var policy = SystemOnly().FsRead(_tmp["project"]).FsDeny(_tmp["project/secrets"]);

        AssertDenied(await Run(policy, "cat", key));
        AssertDenied(await Run(policy, "ls", _tmp["project/secrets"]));
        var sibling = await Run(policy, "cat", _tmp["project/src/main.c"]);
        AssertSucceeded(sibling);
        Assert.Equal("int main;", sibling.StandardOutputText);
    }

    [Fact]
    public async Task A_denied_file_deep_inside_a_write_tree_can_be_neither_read_nor_replaced()
    {
        var secret = _tmp.Write("repo/config/credentials.json", "{\"token\":1}");
        _tmp.Write("repo/config/settings.json", "{}");
        var policy = SystemOnly().FsWrite(_tmp["repo"]).FsDeny(secret);

        AssertDenied(await Run(policy, "cat", secret));
        AssertDenied(await Sh(policy, $"echo pwned > {secret}"));
        AssertSucceeded(await Sh(policy, $"echo '{{\"a\":1}}' > {_tmp["repo/config/settings.json"]}"));
        Assert.Equal("{\"token\":1}", File.ReadAllText(secret));
    }

    [Fact]
    public async Task A_deny_given_through_a_symlinked_spelling_still_applies()
    {
        var real = _tmp.Mkdir("real");
        _tmp.Write("real/secret", "s");
        _tmp.Write("real/open", "o");
        File.CreateSymbolicLink(_tmp["alias"], real);
        var policy = SystemOnly().FsRead(real).FsDeny(_tmp["alias/secret"]);

        AssertDenied(await Run(policy, "cat", _tmp["real/secret"]));
        AssertSucceeded(await Run(policy, "cat", _tmp["real/open"]));
    }

    [Fact]
    public async Task Programs_outside_the_read_paths_cannot_be_executed()
    {
        var copy = _tmp["mytrue"];
        File.Copy("/bin/true", copy);
        File.SetUnixFileMode(copy, (UnixFileMode)0b111_101_101);
        var policy = SystemOnly().Build();
        var error = await Assert.ThrowsAsync<SandboxSetupException>(() => Run(policy, copy));
        Assert.Equal(SetupFailure.CommandNotExecutable, error.Failure);
        Assert.Contains("Permission denied", error.Message);
        AssertSucceeded(await Run(SystemOnly().FsRead(_tmp.Path), copy));
    }

    [Fact]
    public async Task A_policy_reused_after_its_folder_was_recreated_still_allows_the_new_folder()
    {
        var output = _tmp.Mkdir("obj");
        var policy = SystemOnly().FsWrite(output).Build();
        AssertSucceeded(await Run(policy, "sh", "-c", $"echo 1 > {output}/a"));
        Directory.Delete(output, recursive: true);
        Directory.CreateDirectory(output);
        AssertSucceeded(await Run(policy, "sh", "-c", $"echo 2 > {output}/b"));
        Assert.Equal("2\n", File.ReadAllText(Path.Combine(output, "b")));
        AssertDenied(await Run(policy, "sh", "-c", $"echo 3 > {_tmp.Path}/c"));
    }

    [Fact]
    public async Task Dev_null_stays_usable_in_a_read_only_sandbox()
    {
        AssertSucceeded(await Sh(SystemOnly(), "echo discarded > /dev/null && head -c 4 /dev/zero | wc -c"));
    }

    [Fact]
    public async Task Without_filesystem_rules_the_filesystem_is_not_confined_but_deny_only_policies_are()
    {
        var file = _tmp.Write("plain.txt", "visible");
        AssertSucceeded(await Run(new SandboxPolicyBuilder(), "cat", file));
        AssertDenied(await Run(new SandboxPolicyBuilder().FsDeny(file), "cat", file));
    }
}
