using System.Net;
using System.Net.Sockets;
using Sandlock;
using Xunit;

// Deliberately outside the Sandlock.* namespaces, with the one using a library user writes.
namespace LibraryUser;

/// <summary>A session as a library user drives it: provision, exec, attach a mount, tighten the network, terminate.</summary>
public sealed class SessionUseTests : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly DirectoryInfo _shared = Directory.CreateTempSubdirectory("sandlock-session-use-");

    public SessionUseTests()
    {
        _listener.Start();
        File.WriteAllText(Path.Combine(_shared.FullName, "note"), "attached\n");
        // Unprivileged runs of the suite share these folders with another user.
        File.SetUnixFileMode(_shared.FullName, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Path.Combine(_shared.FullName, "note"), (UnixFileMode)0b110_100_100);
    }

    public void Dispose()
    {
        _listener.Stop();
        _shared.Delete(recursive: true);
    }

    private int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    [Fact]
    public async Task Three_commands_with_a_mount_attached_and_the_network_tightened_between_them()
    {
        ISandboxBackend backend = new LocalSandboxBackend();
        var policy = new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/bin").FsRead("/etc").NetAllow($":{Port}").Build();
        SandboxSession session = await backend.ProvisionAsync(policy);
        try
        {
            string connect = $"echo hi > /dev/tcp/127.0.0.1/{Port}";
            var accepted = _listener.AcceptTcpClientAsync();
            SandboxResult first = await backend.ExecAsync(session, new ExecRequest(["/bin/bash", "-c", $"{connect} && cat /mnt/shared/note"]));
            using (await accepted) { }
            Assert.True(first.Status.Success is false, "the mount is not attached yet");
            Assert.Empty(first.StandardOutputText);

            session = await backend.AttachFilesystemAsync(session, new FilesystemMount("/mnt/shared", _shared.FullName, ReadOnly: true));
            SandboxResult second = await backend.ExecAsync(session, new ExecRequest(["/bin/bash", "-c", $"cat /mnt/shared/note && {connect}"]));
            Assert.True(second.Status.Success, second.StandardErrorText);
            Assert.Equal("attached\n", second.StandardOutputText);
            using (await _listener.AcceptTcpClientAsync()) { }

            session = await backend.ApplyNetworkPolicyAsync(session, NetworkPolicy.None);
            SandboxResult third = await backend.ExecAsync(session, new ExecRequest(["/bin/bash", "-c", $"cat /mnt/shared/note && {connect}"]));
            Assert.False(third.Status.Success);
            Assert.Equal("attached\n", third.StandardOutputText);
            Assert.Contains("Permission denied", third.StandardErrorText);
        }
        finally
        {
            await backend.TerminateAsync(session);
        }
        var refused = await Assert.ThrowsAsync<SandboxSessionException>(() => backend.ExecAsync(session, new ExecRequest(["/bin/true"])));
        Assert.Contains("terminated", refused.Message);
    }
}
