using System.Net.Sockets;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Confinement;

/// <summary>Landlock IPC scoping: no abstract unix sockets or signals across the sandbox boundary.</summary>
public sealed class ScopeTests
{
    [Fact]
    public async Task Abstract_unix_sockets_outside_the_sandbox_cannot_be_reached()
    {
        var name = $"sandlock-test-{Guid.NewGuid():N}";
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint("\0" + name));
        listener.Listen();
        var connect = $"use Socket; socket(my $s, AF_UNIX, SOCK_STREAM, 0) or die; connect($s, pack_sockaddr_un(\"\\0{name}\")) or die \"connect: $!\\n\"; print 'connected'";

        AssertDenied(await Run(SystemOnly(), "perl", "-e", connect), "Operation not permitted");
        var waived = await Run(SystemOnly().Disable("landlock-scope-abstract-unix"), "perl", "-e", connect);
        AssertSucceeded(waived);
    }

    [Fact]
    public async Task Processes_outside_the_sandbox_cannot_be_signalled_but_its_own_can()
    {
        AssertDenied(await Sh(SystemOnly(), $"kill -0 {Environment.ProcessId}"), "Operation not permitted");
        AssertSucceeded(await Sh(SystemOnly(), "sleep 10 & kill $! && wait $!; test $? -eq 143"));
    }
}
