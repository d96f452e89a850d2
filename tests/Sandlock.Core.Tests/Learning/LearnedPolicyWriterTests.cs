using System.Net;
using Sandlock.Policy.Files;
using Sandlock.Policy.Learning;
using Sandlock.Tests.TestSupport;

namespace Sandlock.Tests.Learning;

/// <summary>The learned policy file: our schema, read back by our own parser, with the observed run's grants.</summary>
public sealed class LearnedPolicyWriterTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private ObservedRun Run(IReadOnlyList<ObservedPath>? paths = null, IReadOnlyList<ObservedDestination>? destinations = null,
        IReadOnlyList<ObservedBind>? binds = null) =>
        new([["sh", "-c", "echo 'hi there'\nrm -rf x"]], paths ?? [], destinations ?? [], binds ?? [], ["/usr/bin/dash"],
            PeakResidentBytes: 40L << 20, PeakProcessDataBytes: 10L << 20, PeakTasks: 12);

    private SandboxPolicy ReadBack(LearnedPolicy learned)
    {
        var file = PolicyFile.Parse(learned.Text, _dir["sandlock.toml"]);
        var builder = new SandboxPolicyBuilder();
        file.ApplyTo(builder);
        return builder.Build();
    }

    [Fact]
    public void The_file_round_trips_through_the_policy_parser()
    {
        var data = _dir.Write("data/in \"quoted\".txt", "");
        var output = _dir.Mkdir("out");
        var run = Run(
            [new(data, PathUse.Read, "cat"), new(output, PathUse.ChangeIn, "sh", "result"), new("/etc/hostname", PathUse.Read, "cat")],
            [new(NetProtocol.Tcp, IPAddress.Parse("93.184.216.34"), 443, "curl"), new(NetProtocol.Tcp, IPAddress.Parse("93.184.216.34"), 80, "curl"),
                new(NetProtocol.Udp, IPAddress.Parse("::1"), 53, "curl"), new(NetProtocol.Icmp, IPAddress.Parse("10.0.0.1"), 0, "ping")],
            [new(NetProtocol.Tcp, 8080, "server")]);

        var learned = LearnedPolicyWriter.Write(run, new ProtectedFolders("/home/u"));
        var policy = ReadBack(learned);

        Assert.Equal(["/etc/hostname", _dir["data"]], policy.FsReadable.Order(StringComparer.Ordinal));
        Assert.Equal([output], policy.FsWritable.ToArray());
        Assert.Equal(["93.184.216.34:80,443", "udp://::1:53", "icmp://10.0.0.1:*"], policy.NetAllow.Select(r => r.ToString()));
        Assert.Equal([(ushort)8080], policy.NetBind.ToArray());
        Assert.Equal(80L << 20, policy.MaxMemory!.Value.Bytes);
        Assert.Equal(24, policy.MaxProcesses);
        Assert.Empty(learned.NotGranted);
    }

    [Fact]
    public void Every_grant_says_who_used_it_and_how()
    {
        var data = _dir.Write("data/a.txt", "");
        var learned = LearnedPolicyWriter.Write(Run([new(data, PathUse.Read, "cat"), new("/usr/bin/cat", PathUse.Execute, "sh")]), new ProtectedFolders("/home/u"));
        Assert.Contains($"\"{_dir["data"]}\",  # read by cat: a.txt", learned.Text);
        Assert.Contains("\"/usr/bin/cat\",  # executed by sh", learned.Text);
        // The command's own line break must not end the header comment and start a line of TOML.
        Assert.DoesNotContain("\nrm -rf", learned.Text);
    }

    [Fact]
    public void What_is_not_granted_is_said_in_the_file_and_to_the_caller()
    {
        var key = _dir.Write("home/.ssh/id_rsa", "KEY");
        var learned = LearnedPolicyWriter.Write(Run([new(key, PathUse.Read, "ssh"), new("/usr/bin/ssh", PathUse.Execute, "sh")],
            binds: [new(NetProtocol.Tcp, 0, "server")]), new ProtectedFolders("/home/u"));
        Assert.Equal(2, learned.NotGranted.Count);
        Assert.Contains($"# not granted: read by ssh: {key}", learned.Text);
        Assert.DoesNotContain($"\"{key}\"", learned.Text);
        Assert.DoesNotContain(ReadBack(learned).FsReadable, p => p.Contains(".ssh"));
    }

    [Fact]
    public void A_run_that_read_nothing_grantable_still_confines_reads()
    {
        var policy = ReadBack(LearnedPolicyWriter.Write(Run([new("/", PathUse.List, "ls")]), new ProtectedFolders("/home/u")));
        Assert.True(policy.ConfinesFilesystem);
        Assert.Equal(["/dev/null"], policy.FsReadable.ToArray());
        Assert.Empty(policy.NetAllow);
    }

    [Fact]
    public void Several_runs_merge_into_one_file_naming_each_command()
    {
        var a = _dir.Write("a/in.txt", "");
        var b = _dir.Write("b/in.txt", "");
        var first = Run([new(a, PathUse.Read, "cat")]) with { Commands = [["make", "gen"]], PeakTasks = 3 };
        var second = Run([new(b, PathUse.Read, "cat")]) with { Commands = [["make", "docs"]], PeakTasks = 30 };

        var merged = ObservedRun.Merge([first, second]);
        var learned = LearnedPolicyWriter.Write(merged, new ProtectedFolders("/home/u"));

        Assert.Contains("#   make gen\n#   make docs\n", learned.Text);
        Assert.Equal([_dir["a"], _dir["b"]], ReadBack(learned).FsReadable.Order(StringComparer.Ordinal));
        Assert.Equal(60, ReadBack(learned).MaxProcesses);
    }
}
