using System.Net.Sockets;
using System.Text;
using Sandlock.Testing.Child;

namespace Sandlock.Testing.Tests;

/// <summary>A shared child's end of the parent's unix socket: lines both ways over a real socket, and clear errors.</summary>
public sealed class ParentConnectionTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sandlock-connection-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Lines_go_both_ways_over_the_parents_socket()
    {
        var path = Path.Combine(_folder, "s");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);

        using var child = ParentConnection.Open(path);
        using var parent = await listener.AcceptAsync();
        using var parentStream = new NetworkStream(parent);
        using var parentReader = new StreamReader(parentStream, Encoding.UTF8);
        await parentStream.WriteAsync(Encoding.UTF8.GetBytes("run é\n"));
        using var childReader = new StreamReader(child, new UTF8Encoding(false));
        using var childWriter = new StreamWriter(child, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };

        Assert.Equal("run é", childReader.ReadLine());
        childWriter.WriteLine("done");
        Assert.Equal("done", await parentReader.ReadLineAsync());
    }

    [Fact]
    public void A_socket_nobody_listens_on_is_named_in_the_error()
    {
        var path = Path.Combine(_folder, "missing");

        var error = Assert.Throws<IOException>(() => ParentConnection.Open(path));

        Assert.Contains($"connect to the parent's socket {path}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_path_too_long_for_a_unix_socket_is_refused_before_any_call()
    {
        var path = "/" + new string('a', 120);

        var error = Assert.Throws<IOException>(() => ParentConnection.Open(path));

        Assert.Contains("a unix socket path has at most 107", error.Message, StringComparison.Ordinal);
    }
}
