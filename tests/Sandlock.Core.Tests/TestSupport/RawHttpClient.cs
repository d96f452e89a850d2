using System.Globalization;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.TestSupport;

/// <summary>
/// Sends raw requests from inside a sandbox, each argument on a connection of its own (over TLS with a server name
/// when one is given; <c>{big}</c> stands for 20000 bytes), and prints for each the status lines it got back and
/// "closed" once the proxy closed the connection.
/// </summary>
public static class RawHttpClient
{
    private const string Client = """
        import os, socket, ssl, sys
        host, port, server_name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
        for raw in sys.argv[4:]:
            s = socket.create_connection((host, port), timeout=30)
            if server_name != "-":
                s = ssl.create_default_context().wrap_socket(s, server_hostname=server_name)
            try:
                s.sendall(os.fsencode(raw).replace(b"{big}", b"a" * 20000))
            except OSError:
                pass  # the proxy answered and closed before taking it all
            got = b""
            try:
                while chunk := s.recv(65536):
                    got += chunk
            except (ConnectionResetError, ssl.SSLError):
                got += b"\r\n(reset)"
            print(" | ".join([l.decode() for l in got.split(b"\r\n") if l.startswith(b"HTTP/1.1 ")] + ["closed"]))
            s.close()
        """;

    public static bool Available => File.Exists("/usr/bin/python3");

    public static Task<SandboxResult> SendAsync(SandboxPolicyBuilder policy, string host, int port, string? serverName, params string[] requests) =>
        Run(policy, ["/usr/bin/python3", "-c", Client, host, port.ToString(CultureInfo.InvariantCulture), serverName ?? "-", .. requests]);

    public static string[] Lines(SandboxResult result) => result.StandardOutputText.TrimEnd().Split('\n');
}
