using Sandlock.Lifecycle;
using System.CommandLine;
using System.Diagnostics;
using CsCheck;
using Sandlock.Cli;
using Sandlock.Confinement;
using Sandlock.Tests.PolicyFiles;

namespace Sandlock.Tests;

/// <summary>
/// Generated <c>sandlock run</c> argument lists, in-process through the flag parser, the policy file and profile
/// loaders and the builder (everything before a process starts): each ends in a run request, a parse error or a
/// one-line <see cref="PolicyException"/>, with bounded allocation. Values are the kinds that broke the
/// CLI before: extreme and malformed numbers, control characters, long names, special files as policy files.
/// </summary>
public sealed class FlagFuzzTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sandlock-flag-fuzz-").FullName;
    private readonly string[] _specialFiles;

    public FlagFuzzTests()
    {
        var fifo = Path.Combine(_dir, "fifo");
        using (var mkfifo = Process.Start("mkfifo", [fifo])) mkfifo.WaitForExit();
        var nuls = Path.Combine(_dir, "nuls.toml");
        File.WriteAllBytes(nuls, new byte[2 << 20]);
        var nested = Path.Combine(_dir, "nested.toml");
        File.WriteAllText(nested, "[filesystem]\nread = " + new string('[', 64) + "\"/usr\"" + new string(']', 64) + "\n");
        var newline = Path.Combine(_dir, "newline.toml");
        File.WriteAllText(newline, "[limits]\nmemory = \"1\\nX\"\n");
        _specialFiles = [fifo, nuls, nested, newline, "/dev/zero", "/proc/self/status", _dir, "", "/no/such/file"];
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private static readonly RunOptions Options = new();

    private static readonly Command Run = CreateRun();

    private static Command CreateRun()
    {
        var run = new Command("run");
        Options.AddTo(run);
        return run;
    }

    private static readonly string[] Flags = Options.All.SelectMany(o => o.Aliases.Prepend(o.Name)).ToArray();

    private static readonly Gen<string> Odd = Gen.String[Gen.Frequency((4, Gen.Char['a', 'z']), (1, Gen.Char['\0', '\x1f']),
        (1, Gen.Char["\u0085\u2028\ud800\udfff:/=,.-*[]"])), 0, 20];

    private static readonly Gen<string> Numbers = Gen.OneOf("0", "-1", "1", "2", "3", "4", "100", "101", "1000", "1001", "65536",
        "2147483647", "2147483648", "-2147483648", "4194305", "18446744073709551615", "18446744073709551616", "NaN", "Infinity",
        "-0", "1e400", "0.0001", "1.5", "0x10", " 1", "1 ", "");

    private static readonly Gen<string> Sizes = Gen.OneOf("1", "1M", "1K", "1048575", "8E", "12X", "9999999T", "1\nX", "512MiB", "0", "-1M", "");

    private static readonly Gen<string> Paths = Gen.OneOf("/usr", "/tmp", "/", "/no/such", "~", "~/x", "../..", "/proc/self/fd/0",
        "relative", "/tmp/\x01x", "/tmp/\nx", "/" + new string('a', 5000), "/" + string.Join('/', Enumerable.Repeat("..", 2000)), "");

    private static readonly Gen<string> Endpoints = Gen.OneOf(":80", "*:443", "a..b:80", new string('a', 300) + ":80",
        string.Join('.', Enumerable.Repeat(new string('a', 64), 2)) + ":80", "icmp://" + new string('a', 300), "[::1]:80", "[::1:80",
        "1.2.3.4/99:1", "10.0.0.0/8:1", "localhost:1-65535", "-a.b:1", "a_b:1", "udp://:53", ":", "-", "", "a\nb:1", "\u00e9.example:1");

    private static readonly Gen<string> Ports = Gen.OneOf("80,443", "0-65535", "1-65535", "8000-8010", "65536", "0", "-", "", "1,,2", "9-1");

    private static readonly Gen<string> Words = Gen.OneOf("A=b", "=x", "A\nB=c", "A=\u2028", "landlock", "seccomp", "nope", "commit",
        "keep", "0,1", "4000", "../../etc/passwd", "a\nb", "2000-01-01T00:00:00Z", "99999-01-01", "GET example.com/*", "/a:/tmp:ro",
        "/:/tmp", "sysv_ipc", "ptrace", "box", new string('n', 65), "");

    // Values of the kind each flag takes, now and then any kind at all.
    private Gen<string> ValueFor(string flag) => Gen.Frequency((6, flag switch
    {
        "--max-processes" or "-P" or "--max-open-files" or "--cpu" or "-c" or "--num-cpus" or "--uid" or "--random-seed"
            or "--repro-check" or "--timeout" or "-t" => Numbers,
        "--max-memory" or "-m" or "--max-disk" => Sizes,
        "--fs-read" or "-r" or "--fs-write" or "-w" or "--fs-deny" or "--http-ca" or "--http-key" or "--workdir" or "--fs-storage"
            or "--cwd" or "--chroot" => Paths,
        "--profile-file" => Gen.OneOf(_specialFiles),
        "--net-allow" or "--net-deny" => Endpoints,
        "--net-allow-bind" or "--net-deny-bind" or "--http-port" => Ports,
        _ => Words,
    }), (1, Gen.OneOf(Numbers, Sizes, Paths, Endpoints, Words, Odd)));

    // Mostly valid settings around one fuzzed flag, so that what is wrong with that one is what gets reached.
    private static readonly Gen<string[]> Valid = Gen.OneOf<string[]>(["-r", "/usr"], ["-w", "/tmp"], ["--net-allow", ":80"],
        ["-m", "64M"], ["--max-open-files", "64"], ["-t", "5"], ["--name", "box"], ["--clean-env"], ["--deterministic-dirs"]);

    private Gen<string[]> Arguments => Gen.Select(
        Valid.Array[0, 3],
        Gen.OneOf(Flags).SelectMany(flag => ValueFor(flag).Select(value => new[] { flag, value })).Array[1, 2],
        Gen.Frequency((8, Gen.Const<string[]>(["--", "true"])), (1, Gen.OneOf<string[]>(["--", ""], ["--", "-x"], [], ["true"], ["--", "a\nb", "c"]))),
        (valid, fuzzed, command) => valid.Concat(fuzzed).SelectMany(a => a).Concat(command).ToArray());

    [Fact]
    public Task Generated_flags_end_in_a_request_or_a_one_line_error() =>
        Fuzz.Guarded(() => Fuzz.Each(Arguments, stream: 3, count: 3000, args =>
        {
            var parsed = Run.Parse(args, CommandLineParsing.Configuration);
            if (parsed.Errors.Count > 0)
            {
                Assert.NotEmpty(parsed.Errors[0].Message);
                return;
            }
            Fuzz.RefusedInOneLineOrAccepted(() =>
            {
                var request = RunRequest.From(parsed, Options);
                // Planning is where host names were resolved (and a 300-character one threw).
                try { ConfinementPlan.Create(request.Policy); }
                catch (SandboxSetupException e) { Fuzz.AssertOneLine(e.Message); }
            });
        }, args => string.Join(" ", args.Select(a => $"'{a}'"))), TimeSpan.FromMinutes(2));
}
