using System.Net;
using System.Net.Sockets;
using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

/// <summary>
/// The same escapes, attempted by the CLI running as an ordinary user (nobody, through setpriv when the suite runs
/// as root): nothing in sandlock needs root.
/// </summary>
public sealed class UnprivilegedTests : IClassFixture<UnprivilegedTests.UnprivilegedCli>
{
    private readonly UnprivilegedCli _cli;

    public UnprivilegedTests(UnprivilegedCli cli) => _cli = cli;

    /// <summary>A copy of the CLI in a folder every user can read, run as uid/gid 65534 when we are root.</summary>
    public sealed class UnprivilegedCli : IDisposable
    {
        public UnprivilegedCli()
        {
            Folder = Directory.CreateTempSubdirectory("sandlock-unprivileged-").FullName;
            foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(Executable)!))
                File.Copy(file, Path.Combine(Folder, Path.GetFileName(file)));
            foreach (var path in Directory.EnumerateFileSystemEntries(Folder).Append(Folder))
                File.SetUnixFileMode(path, (UnixFileMode)(Directory.Exists(path) || path.EndsWith("/sandlock") ? 0b111_111_111 : 0b110_100_100));
            Work = Directory.CreateDirectory(Path.Combine(Folder, "work")).FullName;
            File.SetUnixFileMode(Work, (UnixFileMode)0b111_111_111);
            var copy = Path.Combine(Folder, "sandlock");
            Wrapper = Environment.UserName == "root"
                ? ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", "/usr/bin/env", "HOME=/tmp", copy]
                : [copy];
        }

        public string Folder { get; }
        public string Work { get; }
        public string[] Wrapper { get; }

        public Task<Outcome> Run(params string[] args) => RunAs(Wrapper, args);

        public void Dispose() => Directory.Delete(Folder, true);
    }

    [Fact]
    public async Task Runs_as_a_user_without_privileges()
    {
        var r = await _cli.Run("run", "--", "id", "-u");
        Assert.Equal(0, r.ExitCode);
        if (Environment.UserName == "root") Assert.Equal("65534\n", r.Stdout);
    }

    [Fact]
    public async Task A_learned_policy_is_learned_and_enforced_without_privileges()
    {
        var policy = Path.Combine(_cli.Work, "learned.toml");
        var learned = await _cli.Run("learn", "-o", policy, "--", "sh", "-c", "cat /etc/hostname; ls /usr/share");
        var again = await _cli.Run("run", "--profile-file", policy, "--", "sh", "-c", "cat /etc/hostname; ls /usr/share");
        var other = await _cli.Run("run", "--profile-file", policy, "--", "cat", "/etc/passwd");
        Assert.True(learned.ExitCode == 0, learned.Stderr);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Equal(learned.Stdout, again.Stdout);
        Assert.Contains("Permission denied", other.Stderr);
    }

    [Fact]
    public async Task A_workdir_commits_a_succeeding_run_and_drops_a_failing_one()
    {
        var work = Directory.CreateDirectory(Path.Combine(_cli.Work, "cow")).FullName;
        File.SetUnixFileMode(work, (UnixFileMode)0b111_111_111);
        File.WriteAllText(Path.Combine(work, "b"), "b\n");
        File.SetUnixFileMode(Path.Combine(work, "b"), (UnixFileMode)0b110_110_110);
        var layers = Directory.CreateDirectory(Path.Combine(_cli.Work, "layers")).FullName;
        File.SetUnixFileMode(layers, (UnixFileMode)0b111_111_111);
        var failed = await _cli.Run(["run", .. SystemReads, "--workdir", work, "--fs-storage", layers, "--", "sh", "-c", $"echo new > {work}/a; rm {work}/b; exit 1"]);
        Assert.Equal(1, failed.ExitCode);
        Assert.Equal(["b"], Directory.EnumerateFileSystemEntries(work).Select(Path.GetFileName));
        var done = await _cli.Run(["run", .. SystemReads, "--workdir", work, "--fs-storage", layers, "--", "sh", "-c", $"echo new > {work}/a; rm {work}/b"]);
        Assert.Equal(0, done.ExitCode);
        Assert.Equal(["a"], Directory.EnumerateFileSystemEntries(work).Select(Path.GetFileName));
        Assert.Empty(Directory.EnumerateFileSystemEntries(layers));
    }

    [Fact]
    public async Task Reads_outside_the_policy_are_denied_and_inside_allowed()
    {
        var denied = await _cli.Run(["run", .. SystemReads, "--", "cat", "/etc/hostname"]);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("Permission denied", denied.Stderr);
        var allowed = await _cli.Run(["run", .. SystemReads, "-r", "/etc", "--", "cat", "/etc/hostname"]);
        Assert.Equal(File.ReadAllText("/etc/hostname"), allowed.Stdout);
    }

    [Fact]
    public async Task Writes_outside_the_policy_are_denied_and_inside_allowed()
    {
        var inside = Directory.CreateDirectory(Path.Combine(_cli.Work, "inside")).FullName;
        File.SetUnixFileMode(inside, (UnixFileMode)0b111_111_111);
        var denied = await _cli.Run("run", "-w", inside, "--", "sh", "-c", $"echo x > {_cli.Work}/outside");
        Assert.Contains("Permission denied", denied.Stderr);
        Assert.False(File.Exists(Path.Combine(_cli.Work, "outside")));
        var allowed = await _cli.Run("run", "-w", inside, "--", "sh", "-c", $"echo x > {inside}/file");
        Assert.Equal(0, allowed.ExitCode);
    }

    [Fact]
    public async Task Chroot_works_without_root_and_keeps_the_host_out()
    {
        using var root = new Sandlock.Tests.TestSupport.MinimalRootfs();
        var secret = Path.Combine(_cli.Work, "secret");
        File.WriteAllText(secret, "top secret");
        File.SetUnixFileMode(secret, (UnixFileMode)0b110_100_100);
        var r = await _cli.Run("run", "--chroot", root.Path, "-w", "/out", "--",
            "sh", "-c", $"read h < /etc/hostname; echo $h; read s < {secret}; cd /..; pwd; echo x > /out/x; echo y > /x");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Equal(Sandlock.Tests.TestSupport.MinimalRootfs.Hostname + "/\n", r.Stdout);
        Assert.DoesNotContain("top secret", r.Stdout);
        Assert.Contains("Permission denied", r.Stderr);
        Assert.True(File.Exists(root.Host("/out/x")));
        Assert.False(File.Exists(root.Host("/x")));
    }

    [Fact]
    public async Task Tcp_connect_is_denied_unless_allowed()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var denied = await _cli.Run("run", "--", "bash", "-c", $"echo > /dev/tcp/127.0.0.1/{port}");
            Assert.Contains("Permission denied", denied.Stderr);
            var allowed = await _cli.Run("run", "--net-allow", $":{port}", "--", "bash", "-c", $"echo > /dev/tcp/127.0.0.1/{port}");
            Assert.Equal(0, allowed.ExitCode);
        }
        finally { listener.Stop(); }
    }

    [Fact]
    public async Task The_supervisor_works_without_privileges()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var r = await _cli.Run("run", "--net-allow", $"127.0.0.1:{port}", "--name", "box", "--", "bash", "-c",
                $"echo > /dev/tcp/127.0.0.1/{port} && echo connected; uname -n; echo > /dev/tcp/127.0.0.1/{port + 1}");
            Assert.Equal("connected\nbox\n", r.Stdout);
            Assert.Contains($"sandlock: the sandbox denied connect tcp 127.0.0.1:{port + 1}", r.Stderr);
        }
        finally { listener.Stop(); }
    }

    [Fact]
    public async Task Port_remap_works_without_privileges_and_lends_no_privileged_port()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var r = await _cli.Run(["run", "--port-remap", "--net-allow-bind", $"{port},80", "--net-allow", $"127.0.0.1:{port}", "--", "/usr/bin/python3", "-c",
                RunConfinementTests.OwnServerAndClient(port)]);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal($"{port} own\n", r.Stdout);
            RunConfinementTests.ReportedRealPort(r.Stderr, port);

            // The supervisor binds on the child's behalf; as root it could bind port 80, the child as nobody cannot.
            var privileged = await _cli.Run("run", "--port-remap", "--net-allow-bind", "80", "--", "/usr/bin/python3", "-c",
                "import socket; socket.socket().bind(('127.0.0.1', 80))");
            Assert.NotEqual(0, privileged.ExitCode);
            if (Environment.UserName == "root") Assert.Contains("Permission denied", privileged.Stderr);
        }
        finally { listener.Stop(); }
    }

    [Fact]
    public async Task Time_start_works_without_privileges()
    {
        var r = await _cli.Run("run", "--time-start", "2000-01-01T00:00:00Z", "--", "sh", "-c", "date +%Y; python3 -c 'import time; print(time.gmtime().tm_year)'");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("2000\n2000\n", r.Stdout);
    }

    [Fact]
    public async Task A_program_whose_vdso_cannot_be_patched_is_killed_not_run_with_the_real_clock()
    {
        if (Environment.UserName != "root") return; // needs a program another user may run but not read
        // An execute-only program is not dumpable: an unprivileged supervisor cannot open its memory.
        var folder = Directory.CreateDirectory(Path.Combine(_cli.Folder, "execute-only")).FullName;
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
        var program = Path.Combine(folder, "date");
        File.Copy("/bin/date", program);
        File.SetUnixFileMode(program, (UnixFileMode)0b111_001_001);
        var r = await _cli.Run("run", "-r", "/usr", "-r", "/lib", "-r", "/lib64", "-r", folder, "--time-start", "2000-01-01T00:00:00Z", "--", program, "+%Y");
        Assert.NotEqual(0, r.ExitCode);
        Assert.DoesNotContain(DateTime.UtcNow.Year.ToString(), r.Stdout);
        Assert.Contains("cannot patch the vDSO", r.Stderr);
    }

    [Fact]
    public async Task Namespaces_are_denied()
    {
        var r = await _cli.Run("run", "--", "unshare", "--user", "true");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("Operation not permitted", r.Stderr);
    }

    [Fact]
    public async Task Exit_codes_and_timeouts_work()
    {
        Assert.Equal(7, (await _cli.Run("run", "--", "sh", "-c", "exit 7")).ExitCode);
        Assert.Equal(124, (await _cli.Run("run", "-t", "0.5", "--", "sleep", "30")).ExitCode);
    }

    [Fact]
    public async Task Proc_shows_only_the_sandbox_processes()
    {
        var r = await _cli.Run(["run", .. SystemReads, "-r", "/proc", "--", "sh", "-c", "echo $$; ls /proc"]);
        Assert.Equal(0, r.ExitCode);
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var pids = lines.Skip(1).Where(l => l.All(char.IsAsciiDigit)).ToList();
        Assert.Contains(lines[0], pids);
        Assert.DoesNotContain(Environment.ProcessId.ToString(), pids);
        Assert.DoesNotContain("1", pids);
    }
}
