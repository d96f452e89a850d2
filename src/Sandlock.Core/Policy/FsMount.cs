namespace Sandlock.Policy;

/// <summary>A host directory shown at another path inside the sandbox (<c>VIRTUAL:HOST[:ro]</c>).</summary>
public sealed record FsMount(string VirtualPath, string HostPath, bool ReadOnly)
{
    public static FsMount Parse(string spec, string source)
    {
        var parts = spec.Split(':');
        if (parts.Length is < 2 or > 3 || parts[0].Length == 0 || parts[1].Length == 0 || (parts.Length == 3 && parts[2] != "ro"))
            throw new PolicyException(source, $"invalid mount '{spec}': expected VIRTUAL:HOST or VIRTUAL:HOST:ro");
        return new FsMount(parts[0], parts[1], parts.Length == 3);
    }
}

public enum FsIsolation { None, OverlayFs, BranchFs }

public enum BranchAction { Commit, Abort, Keep }
