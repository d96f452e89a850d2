using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

public sealed class RunConfinementTests
{
    [Fact]
    public async Task Etc_hostname_needs_etc_in_the_read_paths()
    {
        var denied = await Run("run", "-r", "/usr", "-r", "/lib", "-r", "/lib64", "-r", "/bin", "--", "cat", "/etc/hostname");
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("Permission denied", denied.Stderr);
        var allowed = await Run("run", "-r", "/usr", "-r", "/lib", "-r", "/lib64", "-r", "/bin", "-r", "/etc", "--", "cat", "/etc/hostname");
        Assert.Equal(0, allowed.ExitCode);
        Assert.Equal(File.ReadAllText("/etc/hostname"), allowed.Stdout);
    }

    [Fact]
    public async Task A_seeded_dev_urandom_does_not_end_and_repeats()
    {
        // The CLI serves the device's pipe from its own wait for the command (it starts no event thread).
        string[] run = ["run", "--random-seed", "3", "-r", "/usr", "-r", "/lib", "-r", "/lib64", "-r", "/bin", "--", "sh", "-c",
            "head -c 4194304 /dev/urandom | wc -c; head -c 1048576 /dev/urandom | cksum"];
        var first = await Run(run);
        Assert.Equal(0, first.ExitCode);
        Assert.Equal("4194304", first.Stdout.Split('\n')[0].Trim());
        Assert.Equal(first.Stdout, (await Run(run)).Stdout);
    }

    [Fact]
    public async Task Chroot_runs_the_command_inside_with_paths_inside()
    {
        using var root = new Sandlock.Tests.TestSupport.MinimalRootfs();
        var r = await Run("run", "--chroot", root.Path, "-w", "/out", "--", "sh", "-c", "read h < /etc/hostname; echo $h; echo x > /out/x; echo y > /x");
        Assert.NotEqual(0, r.ExitCode);
        Assert.Equal(Sandlock.Tests.TestSupport.MinimalRootfs.Hostname, r.Stdout);
        Assert.Contains("Permission denied", r.Stderr);
        Assert.True(File.Exists(root.Host("/out/x")));
        Assert.False(File.Exists(root.Host("/x")));
        var escape = await Run("run", "--chroot", root.Path, "-r", "../..", "--", "sh", "-c", "echo hi");
        Assert.NotEqual(0, escape.ExitCode);
        Assert.Contains("--fs-read: '../..' leaves the chroot", escape.Stderr);
    }

    [Fact]
    public async Task Fs_mount_shows_a_host_folder_inside_the_chroot_and_ro_keeps_it_unchanged()
    {
        using var root = new Sandlock.Tests.TestSupport.MinimalRootfs("cat");
        var folder = Directory.CreateTempSubdirectory("sandlock-cli-mount-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "data.txt"), "mounted\n");
            var r = await Run("run", "--chroot", root.Path, "--fs-mount", $"/srv/data:{folder}:ro", "--", "sh", "-c",
                "cat /srv/data/data.txt; echo changed > /srv/data/data.txt");
            Assert.NotEqual(0, r.ExitCode);
            Assert.Equal("mounted\n", r.Stdout);
            Assert.Contains("Read-only file system", r.Stderr);
            Assert.Equal("mounted\n", File.ReadAllText(Path.Combine(folder, "data.txt")));
            var bad = await Run("run", "--fs-mount", "/srv/data", "--", "true");
            Assert.NotEqual(0, bad.ExitCode);
            Assert.Contains("--fs-mount: invalid mount '/srv/data': expected VIRTUAL:HOST or VIRTUAL:HOST:ro", bad.Stderr);
        }
        finally { Directory.Delete(folder, true); }
    }

    [Fact]
    public async Task Writes_outside_the_write_path_fail()
    {
        var dir = Directory.CreateTempSubdirectory("sandlock-cli-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "a"));
            var r = await Run("run", "-w", Path.Combine(dir, "a"), "--", "sh", "-c", $"echo x > {dir}/b");
            Assert.NotEqual(0, r.ExitCode);
            Assert.Contains("Permission denied", r.Stderr);
            Assert.False(File.Exists(Path.Combine(dir, "b")));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task Environment_flags_apply()
    {
        var r = await Run("run", "--clean-env", "--env", "A=1", "--cwd", "/usr", "--", "sh", "-c", "echo $A $(pwd) ${HOSTNAME:-none}");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("1 /usr none\n", r.Stdout);
    }

    [Fact]
    public async Task Time_start_sets_the_clock_of_the_command_and_of_what_it_runs()
    {
        var r = await Run("run", "--time-start", "2000-01-01T00:00:00Z", "--", "date", "+%Y");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("2000\n", r.Stdout);
        var nested = await Run("run", "--time-start", "2000-01-01T00:00:00Z", "--", "sh", "-c", "date -u +%Y-%m-%d; sleep 0.1; date +%Y");
        Assert.Equal("2000-01-01\n2000\n", nested.Stdout);
        var host = await Run("run", "--", "date", "+%Y");
        Assert.NotEqual("2000\n", host.Stdout);
    }

    [Fact]
    public async Task Time_start_from_a_policy_file()
    {
        var dir = Directory.CreateTempSubdirectory("sandlock-cli-").FullName;
        try
        {
            var file = Path.Combine(dir, "sandlock.toml");
            File.WriteAllText(file, "[determinism]\ntime_start = 1999-12-31T23:59:00Z\n");
            var r = await Run("run", "--profile-file", file, "--", "date", "-u", "+%Y-%m-%d %H:%M");
            Assert.Equal("1999-12-31 23:59\n", r.Stdout);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task Explain_shows_the_plan_without_running()
    {
        var r = await Run("run", "--explain", "-r", "/usr", "--net-allow", ":443", "--", "touch", "/tmp/should-not-exist-explain");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("tcp connect: only 443", r.Stdout);
        // Every sandbox a supervisor can serve keeps its processes to itself, its unix sockets to its write paths and
        // its listening sockets to the ports it may bind.
        Assert.Contains("supervisor: holds ", r.Stdout);
        Assert.Contains("prlimit64 when arg0 != 0", r.Stdout);
        Assert.Contains("connect", r.Stdout);
        Assert.Contains("listen", r.Stdout);
        var unsupervised = await Run("run", "--explain", "--no-supervisor", "-r", "/usr", "--", "true");
        Assert.Contains("supervisor: not needed", unsupervised.Stdout);
        var supervised = await Run("run", "--explain", "--net-allow", "localhost:443", "--random-seed", "1", "--", "true");
        Assert.Contains("supervisor: holds ", supervised.Stdout);
        Assert.Contains("getrandom", supervised.Stdout);
        Assert.Contains("localhost pinned to ", supervised.Stdout);
        var clock = await Run("run", "--explain", "--time-start", "2000-01-01T00:00:00Z", "--", "true");
        Assert.Contains("clock_gettime when arg0 in {0, 5, 8, 11}", clock.Stdout);
        Assert.False(File.Exists("/tmp/should-not-exist-explain"));
    }

    /// <summary>A server on a port and its own client, which prints the port it sees and the server's answer.</summary>
    internal static string OwnServerAndClient(int port) =>
        "import socket\n" +
        $"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n" +
        $"c = socket.create_connection(('127.0.0.1', {port})); a, _ = s.accept(); a.sendall(b'own'); a.close()\n" +
        "print(s.getsockname()[1], c.recv(9).decode())\n";

    /// <summary>The real port from the one <c>sandlock: port P/tcp -> R</c> line, checked to differ from P.</summary>
    internal static int ReportedRealPort(string stderr, int port)
    {
        var match = Regex.Match(stderr, $@"^sandlock: port {port}/tcp -> (\d+)$", RegexOptions.Multiline);
        Assert.True(match.Success, $"no port mapping line in: {stderr}");
        var real = int.Parse(match.Groups[1].Value);
        Assert.NotEqual(port, real);
        return real;
    }

    [Fact]
    public async Task Port_remap_binds_a_port_the_host_holds_and_reports_the_real_one()
    {
        using var host = new TcpListener(IPAddress.Loopback, 0);
        host.Start();
        var port = ((IPEndPoint)host.LocalEndpoint).Port;
        string[] network = ["--net-allow-bind", $"{port}", "--net-allow", $"127.0.0.1:{port}"];

        var without = await CliRunner.Run(["run", .. SystemReads, .. network, "--", "/usr/bin/python3", "-c", OwnServerAndClient(port)]);
        Assert.NotEqual(0, without.ExitCode);
        Assert.Contains("Address already in use", without.Stderr);

        var with = await CliRunner.Run(["run", .. SystemReads, .. network, "--port-remap", "--", "/usr/bin/python3", "-c", OwnServerAndClient(port)]);
        Assert.Equal(0, with.ExitCode);
        Assert.Equal($"{port} own\n", with.Stdout);
        ReportedRealPort(with.Stderr, port);
        Assert.False(host.Pending());
    }

    [Fact]
    public async Task Explain_shows_that_port_remap_holds_binds_and_leaves_connects_to_the_supervisor()
    {
        var r = await CliRunner.Run("run", "--explain", "--port-remap", "--net-allow", ":8080", "--net-allow-bind", "8080", "--", "true");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("tcp connect: checked by the supervisor", r.Stdout);
        Assert.Contains("tcp bind: only 8080", r.Stdout);
        Assert.Contains("bind, getsockname, getpeername", r.Stdout);
    }

    [Fact]
    public async Task Port_remap_is_turned_on_by_the_policy_file()
    {
        using var host = new TcpListener(IPAddress.Loopback, 0);
        host.Start();
        var port = ((IPEndPoint)host.LocalEndpoint).Port;
        var dir = Directory.CreateTempSubdirectory("sandlock-remap-test-").FullName;
        try
        {
            var file = Path.Combine(dir, "sandlock.toml");
            File.WriteAllText(file, $"[network]\nport_remap = true\nallow_bind = [{port}]\nallow = [\"127.0.0.1:{port}\"]\n");
            var r = await CliRunner.Run(["run", .. SystemReads, "--profile-file", file, "--", "/usr/bin/python3", "-c", OwnServerAndClient(port)]);
            Assert.Equal(0, r.ExitCode);
            Assert.Equal($"{port} own\n", r.Stdout);
            ReportedRealPort(r.Stderr, port);
        }
        finally { Directory.Delete(dir, true); }
    }
}

public sealed class ReproCheckTests
{
    [Fact]
    public async Task A_repeatable_command_passes_the_check()
    {
        var dir = Directory.CreateTempSubdirectory("sandlock-repro-test-").FullName;
        try
        {
            var r = await CliRunner.Run("run", "--repro-check", "3", "--random-seed", "5", "-w", dir, "--", "sh", "-c",
                $"head -c 8 /dev/urandom | od -An -tx1 | tee {dir}/out");
            Assert.Equal(0, r.ExitCode);
            Assert.Contains("reproducible: 3 runs", r.Stderr);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task A_command_printing_its_pid_fails_the_check_naming_the_difference()
    {
        var r = await CliRunner.Run("run", "--repro-check", "3", "--", "sh", "-c", "echo start; echo $$");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("not reproducible: stdout line 2", r.Stderr);
    }

    [Fact]
    public async Task A_file_that_differs_between_runs_is_named()
    {
        var dir = Directory.CreateTempSubdirectory("sandlock-repro-test-").FullName;
        try
        {
            var r = await CliRunner.Run("run", "--repro-check", "2", "-w", dir, "--", "sh", "-c", $"date +%N > {dir}/stamp");
            Assert.Equal(1, r.ExitCode);
            Assert.Contains($"{dir}/stamp: its content differs", r.Stderr);
        }
        finally { Directory.Delete(dir, true); }
    }
}
