using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

/// <summary>
/// record_filesystem_denials: a file Landlock refuses is recorded with its path and whether a read or a write was
/// refused, also when the program ignores the error and exits 0; allowed accesses record nothing; and recording
/// changes nothing Landlock enforces.
/// </summary>
public sealed class FilesystemDenialTests : IDisposable
{
    private readonly TempDir _readable = new();
    private readonly TempDir _writable = new();
    private readonly TempDir _outside = new();

    public FilesystemDenialTests()
    {
        File.WriteAllText(_readable["in.txt"], "in");
        File.WriteAllText(_outside["secret.txt"], "secret");
        // The unprivileged runs: only Landlock may be what refuses.
        foreach (var dir in (string[])[_readable.Path, _writable.Path, _outside.Path]) File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
        File.SetUnixFileMode(_outside["secret.txt"], (UnixFileMode)0b110_110_110);
    }

    public void Dispose()
    {
        _readable.Dispose();
        _writable.Dispose();
        _outside.Dispose();
    }

    // /etc too: the loader and libc read what they find there.
    private SandboxPolicyBuilder Policy(bool record = true) =>
        SystemOnly().FsRead("/etc").FsRead(_readable.Path).FsWrite(_writable.Path).RecordFilesystemDenials(record);

    private static Denial[] FileDenials(SandboxResult result) => [.. result.Denials.Where(d => d.FilePath is not null)];

    [Fact]
    public async Task A_swallowed_read_outside_the_grants_is_recorded_with_its_path()
    {
        var result = await Sh(Policy(), $"cat {_outside["secret.txt"]} 2>/dev/null; exit 0");

        AssertSucceeded(result);
        var denial = Assert.Single(FileDenials(result));
        Assert.Equal(_outside["secret.txt"], denial.FilePath);
        Assert.False(denial.FileWrite);
    }

    [Fact]
    public async Task A_write_into_a_read_only_folder_is_recorded_as_a_write()
    {
        var result = await Sh(Policy(), $"echo x > {_readable["generated.cs"]} 2>/dev/null; mkdir {_readable["obj"]} 2>/dev/null; exit 0");

        AssertSucceeded(result);
        var denials = FileDenials(result);
        Assert.Contains(denials, d => d.FilePath == _readable["generated.cs"] && d.FileWrite);
        Assert.Contains(denials, d => d.FilePath == _readable["obj"] && d.FileWrite);
        Assert.False(File.Exists(_readable["generated.cs"]));
    }

    [Fact]
    public async Task A_write_through_a_relative_path_and_a_symlink_is_recorded_where_it_lands()
    {
        File.CreateSymbolicLink(_writable["link.txt"], _readable["in.txt"]);

        var result = await Sh(Policy().Cwd(_writable.Path), "echo x >> link.txt 2>/dev/null; exit 0");

        AssertSucceeded(result);
        var denial = Assert.Single(FileDenials(result));
        Assert.Equal(_readable["in.txt"], denial.FilePath);
        Assert.Equal("in", File.ReadAllText(_readable["in.txt"]));
    }

    [Fact]
    public async Task The_same_relative_name_read_from_two_folders_is_told_apart_by_where_it_lands()
    {
        File.WriteAllText(_outside["in.txt"], "secret");
        File.SetUnixFileMode(_outside["in.txt"], (UnixFileMode)0b110_110_110);

        // Read first where it is allowed (so that name refused nothing once), then the same name where it is not.
        var result = await Sh(Policy().Cwd(_readable.Path),
            $"cat in.txt > /dev/null && cat in.txt > /dev/null && cd {_outside.Path} && cat in.txt 2>/dev/null; exit 0");

        AssertSucceeded(result);
        var denial = Assert.Single(FileDenials(result));
        Assert.Equal(_outside["in.txt"], denial.FilePath);
        Assert.False(denial.FileWrite);
    }

    [Fact]
    public async Task A_read_through_an_absolute_symlink_path_is_recorded_where_it_lands_and_one_that_stays_inside_is_not()
    {
        File.CreateSymbolicLink(_readable["leak.txt"], _outside["secret.txt"]);
        Directory.CreateSymbolicLink(_readable["up"], _readable.Path);

        var result = await Sh(Policy(), $"cat {_readable["leak.txt"]} 2>/dev/null; cat {_readable["up"]}/in.txt >/dev/null; exit 0");

        AssertSucceeded(result);
        var denial = Assert.Single(FileDenials(result));
        Assert.Equal(_outside["secret.txt"], denial.FilePath);
        Assert.False(denial.FileWrite);
    }

    [Fact]
    public async Task Allowed_reads_and_writes_record_nothing()
    {
        var result = await Sh(Policy().Cwd(_writable.Path),
            $"cat {_readable["in.txt"]} > out.txt && mkdir d && mv out.txt d/moved.txt && rm d/moved.txt && rmdir d && ls {_readable.Path} >/dev/null && cat /nonexistent 2>/dev/null; true");

        AssertSucceeded(result);
        Assert.Empty(FileDenials(result));
    }

    [Fact]
    public async Task Recording_changes_nothing_Landlock_enforces()
    {
        var script = $"cat {_outside["secret.txt"]}; echo x > {_readable["new"]}; cat {_readable["in.txt"]}; echo y > {_writable["ok"]} && echo wrote";

        var recorded = await Sh(Policy(record: true), script);
        var plain = await Sh(Policy(record: false), script);

        Assert.Equal(plain.ExitCode, recorded.ExitCode);
        Assert.Equal(plain.StandardOutputText, recorded.StandardOutputText);
        Assert.Equal(plain.StandardErrorText, recorded.StandardErrorText);
        Assert.Empty(FileDenials(plain));
        Assert.Equal(2, FileDenials(recorded).Length);
    }

    /// <summary>
    /// Opens one sandbox saw refuse nothing are shared with the later sandboxes of its ruleset only: a policy that grants
    /// less still records the read another allowed.
    /// </summary>
    [Fact]
    public async Task A_read_another_rulesets_sandbox_was_allowed_is_still_recorded()
    {
        var script = $"cat {_outside["secret.txt"]} >/dev/null 2>&1; exit 0";

        var wider = await Sh(Policy().FsRead(_outside.Path), script);
        var narrower = await Sh(Policy(), script);

        Assert.Empty(FileDenials(wider));
        Assert.Equal(_outside["secret.txt"], Assert.Single(FileDenials(narrower)).FilePath);
    }

    /// <summary>
    /// A file missing when a sandbox looked is not remembered for the next sandbox of the same policy: made since, and
    /// refused, its read is recorded there.
    /// </summary>
    [Fact]
    public async Task A_file_missing_for_one_sandbox_and_made_since_is_recorded_by_the_next_of_the_same_policy()
    {
        var late = _outside["late.txt"];
        var script = $"cat {late} >/dev/null 2>&1; exit 0";

        var before = await Sh(Policy(), script);
        File.WriteAllText(late, "late");
        File.SetUnixFileMode(late, (UnixFileMode)0b110_110_110);
        var after = await Sh(Policy(), script);

        Assert.Empty(FileDenials(before));
        Assert.Equal(late, Assert.Single(FileDenials(after)).FilePath);
    }
}
