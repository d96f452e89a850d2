using Sandlock.Policy;
using Sandlock.Policy.Files;

namespace Sandlock.Tests.PolicyFiles;

public sealed class PolicyFileTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private (PolicyFile File, string Path) Load(string text, string name = "sandlock.toml")
    {
        var path = _temp.Write(name, text);
        return (PolicyFile.Load(path), path);
    }

    private SandboxPolicy Build(string text)
    {
        var builder = new SandboxPolicyBuilder();
        Load(text).File.ApplyTo(builder);
        return builder.Build();
    }

    [Fact]
    public void SupportedFieldsReachThePolicy()
    {
        var data = _temp.CreateDirectory("data");
        var output = _temp.CreateDirectory("out");
        var policy = Build($"""
            # a comment
            [program]
            exec = "/bin/echo"
            args = ["hello", "world"]
            cwd = "{output}"
            clean_env = true
            no_coredump = true
            no_huge_pages = true
            env = {"{"} LANG = "C", TZ = "UTC" {"}"}

            [filesystem]
            read = ["{data}", "/usr"]
            write = ["{output}"]
            deny = ["/etc/shadow"]

            [network]
            allow = [":443", "*:80"]
            deny = [":25"]
            allow_bind = [8080, "9000-9002"]
            deny_bind = [22]
            port_remap = true

            [syscalls]
            extra_allow = ["sysv_ipc"]
            extra_deny = ["ptrace"]

            [limits]
            open_files = 256

            [determinism]
            no_randomize_memory = true
            """);

        Assert.Equal([data, "/usr"], policy.FsReadable.ToArray());
        Assert.Equal([output], policy.FsWritable.ToArray());
        Assert.Equal(["/etc/shadow"], policy.FsDenied.ToArray());
        Assert.Equal(output, policy.Cwd);
        Assert.True(policy.CleanEnv);
        Assert.True(policy.NoCoredump);
        Assert.True(policy.NoHugePages);
        Assert.True(policy.NoRandomizeMemory);
        Assert.Equal("C", policy.Env["LANG"]);
        Assert.Equal("UTC", policy.Env["TZ"]);
        Assert.Equal(["*:443", "*:80"], policy.NetAllow.Select(r => r.ToString()));
        Assert.Equal(["*:25"], policy.NetDeny.Select(r => r.ToString()));
        Assert.Equal([8080, 9000, 9001, 9002], policy.NetBind.Select(p => (int)p));
        Assert.Equal([22], policy.NetDenyBind.Select(p => (int)p));
        Assert.True(policy.PortRemap);
        Assert.Equal(["sysv_ipc"], policy.ExtraAllowSyscalls.ToArray());
        Assert.Equal(["ptrace"], policy.ExtraDenySyscalls.ToArray());
        Assert.Equal(256, policy.MaxOpenFiles);
    }

    [Theory]
    [InlineData("[program]\nenv.A = \"1\"\nenv.B = \"2\"\n")]
    [InlineData("[program.env]\nA = \"1\"\nB = \"2\"\n")]
    [InlineData("[program]\nenv = { A = \"1\", B = \"2\" }\n")]
    public void EnvCanBeAnInlineTableASectionOrDottedKeys(string text)
    {
        var policy = Build(text);
        Assert.Equal([("A", "1"), ("B", "2")], policy.Env.Select(e => (e.Key, e.Value)).ToArray());
    }

    [Fact]
    public void UnsupportedFieldIsRefusedAtBuildWithItsFileLine()
    {
        var (file, path) = Load("""
            [limits]
            gpu_devices = [0]
            """);
        var builder = new SandboxPolicyBuilder();
        file.ApplyTo(builder);

        var e = Assert.Throws<NotSupportedYetException>(() => builder.Build());
        Assert.Contains("not supported yet: gpu_devices", e.Message);
        Assert.Contains($"{path}:2:15", e.Message);
    }

    [Theory]
    [InlineData("[filesystem]\non_exit = \"keep\"", "on_exit needs a workdir")]
    [InlineData("[filesystem]\non_error = \"commit\"", "on_error needs a workdir")]
    [InlineData("[limits]\ndisk = \"1G\"", "max_disk needs a workdir")]
    [InlineData("[limits]\ngpu_devices = [0, 1]", "not supported yet: gpu_devices")]
    [InlineData("[config]\nworkdir = \"work\"", "directory does not exist")]
    [InlineData("[config]\nfs_storage = \"store\"", "fs_storage needs a workdir")]
    public void EveryKeyReachesItsBuilderField(string text, string problem)
    {
        var (file, path) = Load(text);
        var builder = new SandboxPolicyBuilder();
        file.ApplyTo(builder);

        var e = Assert.ThrowsAny<PolicyException>(() => builder.Build());
        Assert.Contains(problem, e.Problem);
        Assert.StartsWith($"{path}:2:", e.Source);
    }

    [Fact]
    public void The_http_section_reaches_the_policy()
    {
        var policy = Build("[http]\nallow = [\"GET example.com/*\"]\ndeny = [\"POST */upload\"]\nports = [80, 8080]\nauth = [\"example.com=TOKEN\"]\n");
        Assert.Equal("GET example.com/*", Assert.Single(policy.HttpAllow).ToString());
        Assert.Equal("POST */upload", Assert.Single(policy.HttpDeny).ToString());
        Assert.Equal([80, 8080], policy.HttpPorts.Select(p => (int)p));
        Assert.Equal("TOKEN", policy.HttpAuth["example.com"]);
    }

    [Fact]
    public void A_bad_http_rule_names_the_file_and_line()
    {
        var (file, path) = Load("[http]\nallow = [\"get example.com\"]\n");
        var e = Assert.Throws<PolicyException>(() => file.ApplyTo(new SandboxPolicyBuilder()));
        Assert.Contains($"{path}:2", e.Message);
    }

    [Theory]
    [InlineData("[determinism]\ntime_start = \"2024-01-01T00:00:00Z\"")]
    [InlineData("[determinism]\ntime_start = \"2024-01-01T01:00:00+01:00\"")]
    [InlineData("[determinism]\ntime_start = 2024-01-01T00:00:00Z")]
    [InlineData("[determinism]\ntime_start = 2024-01-01")]
    public void TimeStartReachesThePolicyInUtc(string text)
    {
        var (file, _) = Load(text);
        var builder = new SandboxPolicyBuilder();
        file.ApplyTo(builder);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), builder.Build().TimeStart);
    }

    [Fact]
    public void AnInvalidTimeStartNamesTheFileAndLine()
    {
        var (file, path) = Load("[determinism]\ntime_start = \"yesterday\"");
        var e = Assert.Throws<PolicyException>(() =>
        {
            var builder = new SandboxPolicyBuilder();
            file.ApplyTo(builder);
            builder.Build();
        });
        Assert.Contains($"{path}:2:", e.Message);
        Assert.Contains("expected ISO 8601", e.Message);
    }

    [Fact]
    public void RelativePathsResolveAgainstTheFilesFolder()
    {
        var folder = _temp.CreateDirectory("project");
        _temp.CreateDirectory("project", "data");
        var (file, _) = Load("""
            [filesystem]
            read = ["data", "./data/../data"]
            [program]
            cwd = "."
            """, "project/sandlock.toml");
        var builder = new SandboxPolicyBuilder { BaseDirectory = "/elsewhere" };

        file.ApplyTo(builder);
        var policy = builder.Build();

        Assert.Equal([Path.Combine(folder, "data"), Path.Combine(folder, "data")], policy.FsReadable.ToArray());
        Assert.Equal(folder, policy.Cwd);
        Assert.Equal("/elsewhere", builder.BaseDirectory);
    }

    [Fact]
    public void MissingPathNamesTheFileLine()
    {
        var (file, path) = Load("""
            [filesystem]
            write = [
              "does-not-exist",
            ]
            """);
        var builder = new SandboxPolicyBuilder();
        file.ApplyTo(builder);

        var e = Assert.Throws<PolicyException>(() => builder.Build());
        Assert.Equal($"{path}:3:3", e.Source);
        Assert.Contains("path does not exist", e.Message);
    }

    [Fact]
    public void MalformedTomlNamesFileAndLine()
    {
        var path = _temp.Combine("broken.toml");
        var e = Assert.Throws<PolicyException>(() => PolicyFile.Parse("[program]\nexec = \"ls\"\nargs = [\"-l\"\n\n[limits\n", path));
        Assert.Equal(path, e.Source);
        Assert.True(e.Line >= 3, $"line {e.Line}");
        Assert.Contains($"{path}:{e.Line}:{e.Column}: invalid TOML", e.Message);
    }

    [Fact]
    public void DuplicateKeyIsATomlError()
    {
        var e = Assert.Throws<PolicyException>(() => PolicyFile.Parse("[limits]\ncpu = 1\ncpu = 2\n", "p.toml"));
        Assert.Equal(3, e.Line);
        Assert.Contains("invalid TOML", e.Message);
    }

    [Fact]
    public void UnknownSectionNamesSectionFileAndLine()
    {
        var e = Assert.Throws<PolicyException>(() => PolicyFile.Parse("[program]\nexec = \"ls\"\n\n[foo]\nx = 1\n", "p.toml"));
        Assert.Equal("p.toml", e.Source);
        Assert.Equal(4, e.Line);
        Assert.StartsWith("p.toml:4:2: unknown section [foo]; expected one of [program], [filesystem]", e.Message);
    }

    [Fact]
    public void UnknownKeyNamesKeySectionFileAndLine()
    {
        var e = Assert.Throws<PolicyException>(() => PolicyFile.Parse("[limits]\nprocesses = 4\n  memroy = \"1G\"\n", "p.toml"));
        Assert.Equal((3, 3), (e.Line, e.Column));
        Assert.StartsWith("p.toml:3:3: unknown key 'memroy' in [limits]; expected one of memory, processes", e.Message);
    }

    [Theory]
    [InlineData("name = \"x\"\n", 1, "unknown key 'name' outside any section")]
    [InlineData("[limits.memory]\nx = 1\n", 1, "[limits] memory: takes a single value, not a table")]
    [InlineData("[[limits]]\ncpu = 1\n", 1, "arrays of tables are not used")]
    [InlineData("[limits]\nmemory.max = 1\n", 2, "[limits] memory: takes a single value, not a table")]
    [InlineData("[limits.bogus]\n", 1, "unknown key 'bogus' in [limits]")]
    public void MisplacedKeysAreRejected(string text, int line, string expected)
    {
        var e = Assert.Throws<PolicyException>(() => PolicyFile.Parse(text, "p.toml"));
        Assert.Equal(line, e.Line);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("[limits]\nprocesses = \"ten\"\n", 2, 13, "[limits] processes: expected an integer, got a string")]
    [InlineData("[program]\nclean_env = \"yes\"\n", 2, 13, "[program] clean_env: expected a boolean, got a string")]
    [InlineData("[filesystem]\nread = \"/usr\"\n", 2, 8, "[filesystem] read: expected an array of paths, got a string")]
    [InlineData("[filesystem]\nread = [\"/usr\", 7]\n", 2, 17, "[filesystem] read item 2: expected a path, got an integer")]
    [InlineData("[program]\nenv = [\"A=1\"]\n", 2, 7, "[program] env: expected a table of strings, got an array")]
    [InlineData("[program]\nenv = { A = 1 }\n", 2, 13, "[program] env.A: expected a string, got an integer")]
    [InlineData("[limits]\ncpu = 1.5\n", 2, 7, "[limits] cpu: expected an integer, got a float")]
    [InlineData("[program]\nuid = 99999999999\n", 2, 7, "[program] uid: 99999999999 is out of range: expected an integer from -2147483648 to 2147483647")]
    [InlineData("[determinism]\nrandom_seed = -1\n", 2, 15, "[determinism] random_seed: -1 is negative: expected a non-negative integer")]
    [InlineData("[determinism]\nrandom_seed = \"18446744073709551616\"\n", 2, 15, "[determinism] random_seed: \"18446744073709551616\" is not a whole number from 0 to 18446744073709551615")]
    [InlineData("[filesystem]\non_exit = \"save\"\n", 2, 11, "[filesystem] on_exit: expected one of \"commit\", \"abort\", \"keep\", got \"save\"")]
    [InlineData("[program]\nargs = [\"x\"]\n", 2, 8, "[program] args: given without [program] exec")]
    public void WrongTypeNamesKeyAndLine(string text, int line, int column, string expected)
    {
        var e = Assert.Throws<PolicyException>(() => PolicyFile.Parse(text, "p.toml"));
        Assert.Equal((line, column), (e.Line, e.Column));
        Assert.Equal($"p.toml:{line}:{column}: {expected}", e.Message);
    }

    [Fact]
    public void ASeedAboveWhatTomlIntegersHoldIsGivenAsAStringOfDigits()
    {
        Assert.Equal(ulong.MaxValue, Build("[determinism]\nrandom_seed = \"18446744073709551615\"\n").RandomSeed);
        Assert.Equal(42UL, Build("[determinism]\nrandom_seed = 42\n").RandomSeed);
    }

    [Fact]
    public void ProcessesSetsTheLimitAndABadCountNamesFileAndLine()
    {
        Assert.Equal(64, Build("[limits]\nprocesses = 64\n").MaxProcesses);
        var (file, path) = Load("[limits]\n\nprocesses = 0\n");
        var builder = new SandboxPolicyBuilder();
        file.ApplyTo(builder);
        var e = Assert.Throws<PolicyException>(() => builder.Build());
        Assert.StartsWith($"{path}:3:", e.Message);
        Assert.Contains("invalid process limit 0: expected at least 1", e.Message);
        var wrongType = Assert.Throws<PolicyException>(() => PolicyFile.Parse("[limits]\nprocesses = \"ten\"\n", "p.toml"));
        Assert.Equal("p.toml:2:13: [limits] processes: expected an integer, got a string", wrongType.Message);
    }

    [Fact]
    public void BadSizeCarriesFileLineAndValue()
    {
        var (file, path) = Load("[limits]\n\ndisk = \"12X\"\n");
        var e = Assert.Throws<PolicyException>(() =>
        {
            var builder = new SandboxPolicyBuilder();
            file.ApplyTo(builder);
            builder.Build();
        });
        Assert.Contains("12X", e.Message);
        Assert.StartsWith($"{path}:3:8: invalid size", e.Message);
    }

    [Theory]
    [InlineData("[network]\nallow_bind = [70000]\n", "70000")]
    [InlineData("[network]\ndeny_bind = [\"9000-8000\"]\n", "9000-8000")]
    [InlineData("[network]\nallow = [\":http\"]\n", "http")]
    [InlineData("[http]\nports = [0]\n", "'0'")]
    public void BadPortCarriesFileLine(string text, string bad)
    {
        var e = Assert.Throws<PolicyException>(() => PolicyFile.Parse(text, "p.toml").ApplyTo(new SandboxPolicyBuilder()));
        Assert.Contains(bad, e.Message);
        Assert.StartsWith("p.toml:2:", e.Message);
    }

    [Fact]
    public void ProgramExecAndArgsFormTheCommand()
    {
        var file = PolicyFile.Parse("[program]\nexec = \"python3\"\nargs = [\"-c\", \"print(1)\"]\n", "p.toml");
        Assert.Equal(["python3", "-c", "print(1)"], file.Command!);
        Assert.Equal("p.toml", file.Path);

        Assert.Equal(["ls"], PolicyFile.Parse("[program]\nexec = \"ls\"\n", "p.toml").Command!);
        Assert.Null(PolicyFile.Parse("[limits]\nopen_files = 8\n", "p.toml").Command);
    }

    [Fact]
    public void MissingFileIsAPolicyError()
    {
        var path = _temp.Combine("nope.toml");
        var e = Assert.Throws<PolicyException>(() => PolicyFile.Load(path));
        Assert.Equal(path, e.Source);
        Assert.Contains("policy file does not exist", e.Message);
    }
}
