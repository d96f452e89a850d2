using System.Diagnostics;
using Sandlock.Policy;
using Sandlock.Policy.Files;

namespace Sandlock.Tests.PolicyFiles;

/// <summary>What a policy file may be: a regular UTF-8 text file of at most 1 MiB, nested at most 8 deep, read once.</summary>
public sealed class PolicyFileInputTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private static PolicyException Refused(string text) => Assert.Throws<PolicyException>(() => PolicyFile.Parse(text, "p.toml"));

    [Fact]
    public void Nesting_deeper_than_the_limit_names_the_line_and_column_of_the_first_level_too_many()
    {
        var e = Refused("[filesystem]\n# [[[[[[[[[[\nread = " + new string('[', 64) + "\"/usr\"" + new string(']', 64) + "\n");
        Assert.Equal("p.toml:3:16: arrays or inline tables nested more than 8 deep: a policy needs at most 2", e.Message);
        Assert.Contains("p.toml:2:", Refused("[program]\nenv = " + string.Concat(Enumerable.Repeat("{a=", 9)) + "1" + new string('}', 9)).Message);
    }

    [Fact]
    public void Brackets_in_strings_and_comments_do_not_count_as_nesting()
    {
        var deep = new string('[', 20) + new string('{', 20);
        var file = PolicyFile.Parse($"[program] # {deep}\nexec = \"{deep}\"\nargs = ['{deep}', \"\"\"{deep}\"\"\", '''{deep}''', \"\\\"{deep}\"]\n", "p.toml");
        Assert.Equal(5, file.Command!.Length);
        // Eight levels are parsed (and then refused as the wrong type, with their own message).
        Assert.Contains("expected", Refused("[filesystem]\nread = " + new string('[', 8) + new string(']', 8)).Message);
    }

    [Fact]
    public void A_NUL_is_refused_at_its_line_and_column_also_when_escaped_in_a_string()
    {
        Assert.Equal("p.toml:2:7: NUL character: a policy file is text", Refused("[limits]\nmemory\0 = 1").Message);
        Assert.Contains("p.toml:2:9: [filesystem] read item 1: a NUL character", Refused("[filesystem]\nread = [\"/usr\\u0000/x\"]").Message);
    }

    [Fact]
    public void A_policy_must_be_a_regular_file()
    {
        var fifo = _temp.Combine("fifo");
        using (var mkfifo = Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        foreach (var (path, kind) in new[] { ("/dev/zero", "a character device"), (fifo, "a FIFO"), (_temp.Path, "a directory") })
        {
            var e = Assert.Throws<PolicyException>(() => PolicyFile.Load(path));
            Assert.Equal($"{path}: not a regular file ({kind}): expected a policy file", e.Message);
        }
    }

    [Fact]
    public void A_file_over_1_MiB_is_refused_and_one_of_1_MiB_is_read()
    {
        var big = _temp.Combine("big.toml");
        File.WriteAllText(big, "[limits]\nopen_files = 64\n" + new string('#', 1 << 20) + "\n");
        Assert.Contains("larger than 1024 KiB", Assert.Throws<PolicyException>(() => PolicyFile.Load(big)).Message);
        File.WriteAllText(big, "[limits]\nopen_files = 64\n#" + new string('x', (1 << 20) - 27) + "\n");
        Assert.Equal(1 << 20, new FileInfo(big).Length);
        Assert.Equal(64, Build(PolicyFile.Load(big)).MaxOpenFiles);
    }

    [Fact]
    public void A_proc_file_is_regular_but_bounded_by_what_is_read()
    {
        // /proc files say size 0; what counts is what is read. /proc/self/status is not TOML.
        var e = Assert.Throws<PolicyException>(() => PolicyFile.Load("/proc/self/status"));
        Assert.StartsWith("/proc/self/status:1:", e.Message);
    }

    [Fact]
    public void Invalid_UTF_8_names_its_line_and_a_byte_order_mark_is_allowed()
    {
        var path = _temp.Combine("p.toml");
        File.WriteAllBytes(path, [.. "[limits]\n\nopen_files = 64 # \u00e9 "u8, 0xc0, 0x80, .. "\n"u8]);
        Assert.Equal($"{path}:3:21: invalid UTF-8: a policy file is UTF-8 text", Assert.Throws<PolicyException>(() => PolicyFile.Load(path)).Message);
        File.WriteAllBytes(path, [0xef, 0xbb, 0xbf, .. "[limits]\nopen_files = 64\n"u8]);
        Assert.Equal(64, Build(PolicyFile.Load(path)).MaxOpenFiles);
    }

    [Fact]
    public void The_text_shown_is_the_text_checked()
    {
        var path = _temp.Write("p.toml", "[limits]\nopen_files = 64\n");
        var file = PolicyFile.Load(path);
        File.WriteAllText(path, "[limits]\nopen_files = 1\n");
        Assert.Equal("[limits]\nopen_files = 64\n", file.Text);
    }

    [Fact]
    public void An_empty_name_blames_the_source_that_gave_it() =>
        Assert.Equal("--profile-file: empty path: expected a policy file",
            Assert.Throws<PolicyException>(() => PolicyFile.Load("", "--profile-file")).Message);

    [Fact]
    public void Duplicate_keys_and_sections_are_refused_with_their_line()
    {
        Assert.StartsWith("p.toml:3:1: invalid TOML:", Refused("[filesystem]\nread = [\"/usr\"]\nread = [\"/lib\"]\n").Message);
        Assert.StartsWith("p.toml:3:1: invalid TOML:", Refused("[limits]\ncpu = 5\n[limits]\nmemory = \"1G\"\n").Message);
    }

    private static SandboxPolicy Build(PolicyFile file)
    {
        var builder = new SandboxPolicyBuilder();
        file.ApplyTo(builder);
        return builder.Build();
    }
}
