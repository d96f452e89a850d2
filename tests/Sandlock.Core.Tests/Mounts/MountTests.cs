using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Mounts;

/// <summary>
/// A host folder shown at a mount point, with no mount namespace: the supervisor serves the paths under it, the
/// rest of the tree is the chroot's (or the host's), and nothing leads out of the host folder.
/// </summary>
public sealed class MountTests : IDisposable
{
    private readonly MinimalRootfs _root = new("cat", "ls", "mkdir", "mv", "rm", "stat", "pwd");
    private readonly TempDir _folder = new();
    private readonly TempDir _outside = new();

    public MountTests()
    {
        _folder.Write("hello.txt", "hello from the host folder\n");
        _folder.Write("sub/inner.txt", "inner\n");
        _outside.Write("secret.txt", "top secret\n");
        // Readable and writable by the unprivileged user the tests may run as.
        foreach (var dir in Directory.EnumerateDirectories(_folder.Path, "*", SearchOption.AllDirectories).Append(_folder.Path))
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
    }

    public void Dispose()
    {
        _root.Dispose();
        _folder.Dispose();
        _outside.Dispose();
    }

    private SandboxPolicyBuilder Chrooted(string mount) => new SandboxPolicyBuilder().Chroot(_root.Path).FsMount(mount);

    [Fact]
    public async Task A_mounted_folder_is_read_and_listed_at_its_mount_point_inside_a_chroot()
    {
        var result = await Sh(Chrooted($"/data:{_folder.Path}:ro"), "cat /data/hello.txt /data/sub/inner.txt && ls /data && stat -c %F /data/sub");
        AssertSucceeded(result);
        Assert.Equal("hello from the host folder\ninner\nhello.txt\nsub\ndirectory\n", result.StandardOutputText);
    }

    [Fact]
    public async Task The_mount_point_is_listed_in_its_parent_once()
    {
        var result = await Sh(Chrooted($"/data:{_folder.Path}:ro"), "ls /");
        AssertSucceeded(result);
        Assert.Equal(["bin", "data", "etc", "lib", "lib64", "out", "usr"], result.StandardOutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Directory.CreateDirectory(_root.Host("/data"));
        var existing = await Sh(Chrooted($"/data:{_folder.Path}:ro"), "ls /");
        Assert.Single(existing.StandardOutputText.Split('\n'), name => name == "data");
    }

    [Fact]
    public async Task The_host_folder_itself_is_not_reachable_by_its_host_path()
    {
        var result = await Sh(Chrooted($"/data:{_folder.Path}"), $"cat {_folder.Path}/hello.txt");
        AssertDenied(result, "No such file");
    }

    [Fact]
    public async Task A_read_only_mount_refuses_writes_and_says_so()
    {
        var result = await Sh(Chrooted($"/data:{_folder.Path}:ro"), "echo x > /data/new.txt; mkdir /data/d; rm /data/hello.txt; cat /data/hello.txt");
        Assert.Equal("hello from the host folder\n", result.StandardOutputText);
        Assert.Contains("Read-only file system", result.StandardErrorText);
        Assert.False(File.Exists(_folder["new.txt"]));
        Assert.False(Directory.Exists(_folder["d"]));
        Assert.Contains(result.Denials, d => d.Target == "/data/new.txt" && d.Rule.Contains("read-only", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_writable_mount_takes_new_files_folders_renames_and_removals()
    {
        var result = await Sh(Chrooted($"/data:{_folder.Path}"),
            "echo made > /data/new.txt && mkdir /data/d && mv /data/new.txt /data/d/ && rm /data/hello.txt && ls /data /data/d");
        AssertSucceeded(result);
        Assert.Equal("made\n", File.ReadAllText(_folder["d/new.txt"]));
        Assert.False(File.Exists(_folder["hello.txt"]));
        Assert.Equal("/data:\nd\nsub\n\n/data/d:\nnew.txt\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Fifos_ownership_and_extended_attributes_change_in_a_writable_mount_only()
    {
        _folder.Write("file", "x");
        var program = CPrograms.Build("Mounts/metadata.c", _outside["metadata"]);
        var writable = await Run(SystemOnly().FsRead(_outside.Path).FsMount($"/data:{_folder.Path}"), program, "/data");
        AssertSucceeded(writable);
        // A device node is refused (EPERM) whoever asks: only FIFOs, sockets and plain files are made on a caller's behalf.
        Assert.Equal("mkfifo 0\nis fifo 1\nchown 0\nsetxattr 0\ngetxattr v1\nlisted 1\nremovexattr 0\nmknod device 1\n", writable.StandardOutputText);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_folder["fifo"]));

        File.Delete(_folder["fifo"]);
        var readOnly = await Run(SystemOnly().FsRead(_outside.Path).FsMount($"/data:{_folder.Path}:ro"), program, "/data");
        AssertSucceeded(readOnly);
        // The filter refuses a device node before the mount is asked, so EPERM rather than EROFS.
        Assert.Equal("mkfifo 30\nis fifo 0\nchown 30\nsetxattr 30\ngetxattr \nlisted 0\nremovexattr 30\nmknod device 1\n", readOnly.StandardOutputText);
        Assert.False(File.Exists(_folder["fifo"]));
    }

    [Fact]
    public async Task Nothing_in_the_mount_leads_out_of_its_host_folder()
    {
        // Symlinks and ".." inside the folder resolve inside it, as they would under its mount point.
        File.CreateSymbolicLink(_folder["absolute"], _outside["secret.txt"]);
        File.CreateSymbolicLink(_folder["climb"], "../../../../../../" + _outside["secret.txt"]);
        var result = await Sh(Chrooted($"/data:{_folder.Path}"),
            $"cat /data/absolute; cat /data/climb; cat /data/sub/../../../{_outside["secret.txt"]}; echo done");
        Assert.DoesNotContain("top secret", result.StandardOutputText);
        Assert.Equal("done\n", result.StandardOutputText);
    }

    [Fact]
    public async Task A_denied_path_inside_a_mount_stays_denied()
    {
        File.CreateSymbolicLink(_folder["link"], "sub/inner.txt");
        File.CreateSymbolicLink(_folder["folder-link"], "sub");
        var result = await Sh(Chrooted($"/data:{_folder.Path}").FsDeny("/data/sub"),
            "cat /data/sub/inner.txt; cat /data/link; cat /data/folder-link/inner.txt; cat /data/hello.txt");
        Assert.Equal("hello from the host folder\n", result.StandardOutputText);
        Assert.Contains(result.Denials, d => d.Target == "/data/sub/inner.txt" && d.Rule == "fs_deny /data/sub");
        Assert.Contains(result.Denials, d => d.Target == "/data/link" && d.Rule == "fs_deny /data/sub");
        // Without a chroot a deny may name the host folder itself: the mount does not lead around it.
        var byHostPath = await Sh(SystemOnly().FsMount($"/data:{_folder.Path}").FsDeny(_folder["sub"]), "cat /data/sub/inner.txt; cat /data/link");
        Assert.DoesNotContain("inner", byHostPath.StandardOutputText);
        Assert.Equal(2, byHostPath.Denials.Count(d => d.Rule == $"fs_deny {_folder["sub"]}"));
    }

    [Fact]
    public async Task Looking_at_a_path_through_the_mount_and_out_sees_the_chroot()
    {
        var result = await Sh(Chrooted($"/data:{_folder.Path}"), "stat -c %n:%F /data/.. /data/../etc/hostname");
        AssertSucceeded(result);
        Assert.Equal("/data/..:directory\n/data/../etc/hostname:regular file\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Programs_and_scripts_in_a_mount_run_from_an_absolute_or_relative_path()
    {
        File.Copy("/bin/echo", _folder["tools-echo"]);
        _folder.Write("greet.sh", "#!/bin/sh\necho \"script in $(pwd)\"\n");
        foreach (var file in new[] { "tools-echo", "greet.sh" }) File.SetUnixFileMode(_folder[file], (UnixFileMode)0b111_101_101);
        var policy = SystemOnly().FsMount($"/mounted-tools:{_folder.Path}:ro").Cwd("/mounted-tools");
        var result = await Sh(policy, "/mounted-tools/tools-echo absolute; ./tools-echo relative; ./greet.sh; /mounted-tools/greet.sh");
        AssertSucceeded(result);
        Assert.Equal("absolute\nrelative\nscript in /mounted-tools\nscript in /mounted-tools\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Posix_spawn_runs_a_program_in_a_mount_from_a_copy_of_its_path_and_refuses_a_literal()
    {
        // posix_spawn's child shares the parent's memory until its exec: a buffer of the moment may be rewritten, a
        // literal the parent keeps may not.
        File.Copy("/bin/echo", _folder["tool"]);
        File.SetUnixFileMode(_folder["tool"], (UnixFileMode)0b111_101_101);
        var program = CPrograms.Build("Mounts/spawn.c", _outside["spawn"]);
        var policy = SystemOnly().FsRead(_outside.Path).FsMount($"/mounted:{_folder.Path}:ro");
        var copy = await Run(policy, program, "copy");
        AssertSucceeded(copy);
        Assert.Equal("spawned\nspawned\npath after: /mounted/tool\n", copy.StandardOutputText);
        var literal = await Run(policy, program, "literal");
        Assert.Equal("posix_spawn: 13\nposix_spawn: 13\npath after: /mounted/tool\n", literal.StandardOutputText);
        Assert.Contains(literal.Denials, d => d.Syscall == "execve" && d.Rule.Contains("string in the program's own file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_command_itself_may_lie_in_a_mount()
    {
        File.Copy("/bin/echo", _folder["e"]);
        File.SetUnixFileMode(_folder["e"], (UnixFileMode)0b111_101_101);
        var result = await Run(SystemOnly().FsMount($"/m:{_folder.Path}:ro"), "/m/e", "started from the mount");
        AssertSucceeded(result);
        Assert.Equal("started from the mount\n", result.StandardOutputText);
    }

    [Fact]
    public async Task A_working_directory_in_a_mount_is_named_by_getcwd_and_relative_paths_resolve_in_it()
    {
        var result = await Run(Chrooted($"/data:{_folder.Path}").Cwd("/data/sub"), "/bin/sh", "-c", "cat inner.txt ../hello.txt; ls");
        AssertSucceeded(result);
        Assert.Equal("inner\nhello from the host folder\ninner.txt\n", result.StandardOutputText);
        var pwd = await Run(SystemOnly().FsMount($"/data:{_folder.Path}").Cwd("/data/sub"), "/bin/pwd");
        Assert.Equal("/data/sub\n", pwd.StandardOutputText);
    }

    [Fact]
    public async Task A_shell_changes_into_a_mount_and_the_commands_it_starts_work_there()
    {
        // Shells pass cd an absolute path and keep that very string as PWD: the supervisor records the directory.
        var result = await Sh(Chrooted($"/data:{_folder.Path}"),
            "cd /data/sub && cat inner.txt && pwd && /bin/pwd && /bin/sh -c 'cat inner.txt; /bin/pwd' && cd .. && ls && cd / && /bin/pwd && cat etc/hostname");
        AssertSucceeded(result);
        Assert.Equal("inner\n/data/sub\n/data/sub\ninner\n/data/sub\nhello.txt\nsub\n/\n" + MinimalRootfs.Hostname, result.StandardOutputText);
    }

    [Fact]
    public async Task Leaving_a_recorded_directory_by_a_relative_path_out_of_the_mount_is_refused_with_the_reason()
    {
        // cd -P hands chdir the relative path as given.
        var result = await Sh(Chrooted($"/data:{_folder.Path}"), "cd /data/sub && cd -P .. && /bin/pwd && cd -P ..");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("/data\n", result.StandardOutputText);
        Assert.Contains(result.Denials, d => d.Syscall == "chdir" && d.Target == "/" && d.Rule.Contains("out of it with '..'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_mount_the_host_folder_stays_out_of_reach_of_the_same_policy()
    {
        var result = await Sh(new SandboxPolicyBuilder().Chroot(_root.Path), "cat /data/hello.txt");
        AssertDenied(result, "No such file");
    }
}
