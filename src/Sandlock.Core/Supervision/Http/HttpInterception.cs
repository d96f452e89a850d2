using System.Collections.Immutable;
using System.Net;
using Sandlock.Policy;
using Sandlock.Supervision.Network;

namespace Sandlock.Supervision.Http;

/// <summary>
/// A policy's HTTP rules as the supervisor applies them: which connects go to the proxy (every TCP connect to an
/// HTTP port), the rules and credentials the proxy applies, the CA it signs with and the trust files that make
/// the sandbox trust it. One proxy listens per sandbox, from its first intercepted connect to its end.
/// </summary>
internal sealed class HttpInterception
{
    private readonly ImmutableArray<ushort> _ports;

    private HttpInterception(ImmutableArray<ushort> ports, HttpAccess access, IReadOnlyDictionary<string, string> credentials, InterceptionAuthority authority)
    {
        _ports = ports;
        Access = access;
        Credentials = credentials;
        Authority = authority;
    }

    public HttpAccess Access { get; }

    /// <summary>Host to the Authorization header value the proxy sends it.</summary>
    public IReadOnlyDictionary<string, string> Credentials { get; }

    public InterceptionAuthority Authority { get; }

    /// <summary>Host names of the network rules and their pinned addresses: a request naming one must go to one of them.</summary>
    public IReadOnlyDictionary<string, IPAddress[]> PinnedHosts { get; set; } = new Dictionary<string, IPAddress[]>();

    /// <summary>Null when the policy has no HTTP rules. Reads the credentials from this process's environment.</summary>
    public static HttpInterception? For(SandboxPolicy policy)
    {
        if (!HttpSettings.Applies(policy)) return null;
        var credentials = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (host, variable) in policy.HttpAuth)
        {
            var value = System.Environment.GetEnvironmentVariable(variable);
            if (string.IsNullOrEmpty(value))
                throw new SandboxSetupException(SetupFailure.Sandbox, $"--http-auth {host}={variable}: the variable {variable} is not set (or empty) in sandlock's environment");
            credentials[host] = value.Contains(' ') ? value : "Bearer " + value;
        }
        var authority = policy.HttpCa is { } ca && policy.HttpKey is { } key
            ? InterceptionAuthority.Load(ca, key, policy.TimeStart)
            : InterceptionAuthority.Ephemeral(policy.Name ?? "sandbox", policy.TimeStart);
        return new HttpInterception(HttpSettings.Ports(policy), new HttpAccess(policy.HttpAllow, policy.HttpDeny), credentials, authority);
    }

    /// <summary>The variables the sandbox must not see: those holding credentials.</summary>
    public static IEnumerable<string> HiddenVariables(SandboxPolicy policy) => policy.HttpAuth.Values;

    public bool Intercepts(ushort port) => _ports.Contains(port);

    /// <summary>The sandbox's proxy, started on first use.</summary>
    public HttpProxy ProxyFor(SupervisedSession session) => session.State(() => new ProxySlot()).Get(this, session);

    /// <summary>The sandbox's proxy if it has started.</summary>
    public static HttpProxy? StartedProxy(SupervisedSession session) => session.State(() => new ProxySlot()).Started;

    public IEnumerable<KeyValuePair<string, VirtualFile>> TrustFiles()
    {
        var bundle = new VirtualFile("ca-bundle", () => TrustBundle.Content(Authority.Pem));
        return TrustBundle.Paths.Select(path => new KeyValuePair<string, VirtualFile>(path, bundle));
    }

    public IReadOnlyList<SyscallHandler> Handlers => [new InterceptedPeerNames()];

    private sealed class ProxySlot : IDisposable
    {
        private readonly Lock _gate = new();
        private HttpProxy? _proxy;
        private bool _disposed;

        public HttpProxy? Started { get { lock (_gate) return _proxy; } }

        public HttpProxy Get(HttpInterception interception, SupervisedSession session)
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                return _proxy ??= new HttpProxy(interception, session);
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _proxy?.Dispose();
                _proxy = null;
            }
        }
    }
}
