using System.Net.Sockets;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

/// <summary>
/// Unix sockets by path: with the filesystem confined, a connect or datagram to one is a write, allowed only under a
/// write path; a host socket in a folder with no rule stays out of reach however it is named.
/// </summary>
public sealed class UnixSocketTests : IClassFixture<UnixSocketTests.Program>, IDisposable
{
    /// <summary>unix.c, in a folder the sandboxes may read.</summary>
    public sealed class Program : IDisposable
    {
        private readonly TempDir _dir = new();

        public Program() => Path = CPrograms.Build("Supervision/unix.c", _dir["unix"]);

        public string Path { get; }

        public string Folder => _dir.Path;

        public void Dispose() => _dir.Dispose();
    }

    private readonly Program _program;
    private readonly TempDir _host = new();
    private readonly TempDir _work = new();
    private readonly Socket _stream = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly Socket _datagram = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);

    public UnixSocketTests(Program program)
    {
        _program = program;
        _stream.Bind(new UnixDomainSocketEndPoint(StreamPath));
        _stream.Listen(4);
        _datagram.Bind(new UnixDomainSocketEndPoint(DatagramPath));
        // A sandbox run as another user (the unprivileged runs) may write to them as far as permissions go.
        File.SetUnixFileMode(StreamPath, (UnixFileMode)0b111_111_111);
        File.SetUnixFileMode(DatagramPath, (UnixFileMode)0b111_111_111);
    }

    private string StreamPath => _host["server.sock"];
    private string DatagramPath => _host["datagram.sock"];

    public void Dispose()
    {
        _stream.Dispose();
        _datagram.Dispose();
        _host.Dispose();
        _work.Dispose();
    }

    private SandboxPolicyBuilder Policy() => SystemOnly().FsRead(_program.Folder).FsWrite(_work.Path);

    private Task<SandboxResult> Reach(SandboxPolicyBuilder policy, params string[] args) => Run(policy, [_program.Path, .. args]);

    private void AssertNothingArrived()
    {
        Assert.False(_stream.Poll(0, SelectMode.SelectRead), "a connection reached the host socket");
        Assert.Equal(0, _datagram.Available);
    }

    private static void AssertRefused(SandboxResult result, string how, string socket, string folder)
    {
        AssertSucceeded(result);
        Assert.Equal($"{how} EACCES", result.StandardOutputText.Trim());
        var denial = Assert.Single(result.Denials);
        Assert.Contains($"unix socket {socket}", denial.Target);
        Assert.Contains($"-w {folder}", denial.Rule);
    }

    [Theory]
    [InlineData("connect")]
    [InlineData("send")]
    [InlineData("sendmsg")]
    [InlineData("send-high")]
    public async Task A_host_socket_in_a_folder_without_a_rule_is_refused(string how)
    {
        var path = how == "connect" ? StreamPath : DatagramPath;
        AssertRefused(await Reach(Policy(), how, path), how, path, _host.Path);
        AssertNothingArrived();
    }

    [Fact]
    public async Task A_symlink_from_a_writable_folder_is_followed_to_where_the_socket_is()
    {
        File.CreateSymbolicLink(_work["stream-link"], StreamPath);
        Directory.CreateSymbolicLink(_work["folder-link"], _host.Path);
        AssertRefused(await Reach(Policy(), "connect", _work["stream-link"]), "connect", StreamPath, _host.Path);
        AssertRefused(await Reach(Policy(), "send", _work["folder-link/datagram.sock"]), "send", DatagramPath, _host.Path);
        AssertNothingArrived();
    }

    [Fact]
    public async Task A_relative_path_after_chdir_is_resolved_from_the_callers_directory()
    {
        AssertRefused(await Reach(Policy(), "connect", "server.sock", _host.Path), "connect", StreamPath, _host.Path);
        AssertRefused(await Reach(Policy(), "send", "../" + Path.GetFileName(_host.Path) + "/datagram.sock", _work.Path), "send", DatagramPath, _host.Path);
        AssertNothingArrived();
    }

    [Fact]
    public async Task Sockets_the_sandbox_binds_in_its_write_folder_work()
    {
        var result = await Reach(Policy(), "self", _work.Path);
        AssertSucceeded(result);
        Assert.Equal("stream ok\ndgram ok\ndgram-sendmsg ok\ndgram-received ok", result.StandardOutputText.Trim());
        Assert.Empty(result.Denials);
    }

    [Fact]
    public async Task An_abstract_name_the_sandbox_binds_is_reached()
    {
        var result = await Reach(Policy(), "abstract", "own");
        Assert.Equal("abstract ok", result.StandardOutputText.Trim());
        Assert.Empty(result.Denials);
    }

    [Fact]
    public async Task A_write_rule_on_the_hosts_folder_allows_its_sockets()
    {
        var policy = Policy().FsWrite(_host.Path);
        var accepted = _stream.AcceptAsync();
        var connected = await Reach(policy, "connect", StreamPath);
        Assert.Equal("connect ok", connected.StandardOutputText.Trim());
        using (var client = await accepted)
        using (var reader = new StreamReader(new NetworkStream(client)))
            Assert.Equal("hi", await reader.ReadLineAsync());

        foreach (var how in new[] { "send", "sendmsg", "send-high" })
        {
            var sent = await Reach(policy, how, DatagramPath, _work.Path);
            Assert.Equal($"{how} ok", sent.StandardOutputText.Trim());
            var buffer = new byte[16];
            Assert.Equal(3, _datagram.Receive(buffer));
        }
    }

    [Fact]
    public async Task A_deny_inside_a_write_path_keeps_its_sockets_out_of_reach()
    {
        var result = await Reach(SystemOnly().FsRead(_program.Folder).FsWrite(Path.GetDirectoryName(_host.Path)!).FsDeny(_host.Path), "connect", StreamPath);
        AssertSucceeded(result);
        Assert.Equal("connect EACCES", result.StandardOutputText.Trim());
        Assert.Contains("--fs-deny", Assert.Single(result.Denials).Rule);
        AssertNothingArrived();
    }

    [Fact]
    public async Task Without_filesystem_rules_unix_sockets_are_not_confined()
    {
        var accepted = _stream.AcceptAsync();
        var result = await Reach(new SandboxPolicyBuilder(), "connect", StreamPath);
        Assert.Equal("connect ok", result.StandardOutputText.Trim());
        using var client = await accepted;
    }

    [Fact]
    public async Task Without_a_supervisor_unix_sockets_cannot_be_made_but_socketpair_works()
    {
        var policy = Policy().NoSupervisor();
        Assert.Equal("connect EACCES", (await Reach(policy, "connect", StreamPath)).StandardOutputText.Trim());
        AssertNothingArrived();
        Assert.Equal("socketpair ok", (await Reach(policy, "pair", "-")).StandardOutputText.Trim());
    }

    [Fact]
    public async Task Under_a_chroot_paths_resolve_inside_it_and_follow_its_write_paths()
    {
        using var root = new MinimalRootfs();
        var program = CPrograms.Build("Supervision/unix.c", root.Host("/bin/unix"), isStatic: true);
        Directory.CreateDirectory(root.Host("/srv"));
        File.SetUnixFileMode(root.Host("/srv"), (UnixFileMode)0b111_111_111);
        using var server = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        server.Bind(new UnixDomainSocketEndPoint(root.Host("/srv/server.sock")));
        server.Listen(1);
        File.SetUnixFileMode(root.Host("/srv/server.sock"), (UnixFileMode)0b111_111_111);
        // An absolute link in the chroot means a path inside it.
        File.CreateSymbolicLink(root.Host("/out/link.sock"), "/srv/server.sock");
        var chrooted = new SandboxPolicyBuilder().Chroot(root.Path).FsWrite("/out");

        var refused = await Run(chrooted, "/bin/unix", "connect", "/out/link.sock");
        Assert.Equal("connect EACCES", refused.StandardOutputText.Trim());
        Assert.Contains($"unix socket {root.Host("/srv/server.sock")}", Assert.Single(refused.Denials).Target);
        Assert.False(server.Poll(0, SelectMode.SelectRead));

        var own = await Run(chrooted, "/bin/unix", "self", "/out");
        Assert.Equal("stream ok\ndgram ok\ndgram-sendmsg ok\ndgram-received ok", own.StandardOutputText.Trim());

        var allowed = await Run(chrooted.FsWrite("/srv"), "/bin/unix", "connect", "/srv/server.sock");
        Assert.Equal("connect ok", allowed.StandardOutputText.Trim());
        Assert.Equal(program, root.Host("/bin/unix"));
    }
}
