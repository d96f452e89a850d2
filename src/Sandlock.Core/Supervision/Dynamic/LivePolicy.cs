using System.Collections.Immutable;
using System.Net;

namespace Sandlock;

/// <summary>
/// The restrictions a policy callback has added while the sandbox runs. It can only grow: there is no way to remove
/// a restriction, and the static policy (Landlock, seccomp, the network rules) is checked before it anyway.
/// </summary>
public sealed class LivePolicy
{
    private ImmutableList<string> _deniedPaths = [];
    private ImmutableList<IPNetwork> _deniedNetworks = [];
    private volatile bool _networkClosed;

    public IReadOnlyList<string> DeniedPaths => _deniedPaths;

    /// <summary>Refuse opening or executing <paramref name="path"/> and everything under it from now on.</summary>
    public void DenyPath(string path) =>
        ImmutableInterlocked.Update(ref _deniedPaths, list => list.Add(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path))));

    /// <summary>Refuse connections and datagrams to this address or block from now on.</summary>
    public void DenyNetwork(IPNetwork network) => ImmutableInterlocked.Update(ref _deniedNetworks, list => list.Add(network));

    /// <summary>Refuse every further connection and datagram.</summary>
    public void CloseNetwork() => _networkClosed = true;

    internal bool IsPathDenied(string path)
    {
        var full = Path.GetFullPath(path);
        return _deniedPaths.Any(d => Policy.PathTree.IsSameOrUnder(full, d));
    }

    internal bool IsAddressDenied(IPAddress address) =>
        _networkClosed || _deniedNetworks.Any(n => n.Contains(address));
}
