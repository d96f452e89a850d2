namespace Sandlock.Confinement.Landlock;

/// <summary>What one spawn asks Landlock to enforce: the handled rights, the rules and the TCP ports.</summary>
internal interface ILandlockRestriction
{
    int LandlockAbi { get; }
    FsAccess HandledFs { get; }
    NetAccess HandledNet { get; }
    ScopeAccess Scopes { get; }
    IReadOnlyList<FsRule> FsRules { get; }
    IReadOnlyList<ushort> ConnectPorts { get; }
    IReadOnlyList<ushort> BindPorts { get; }
    bool UsesLandlock { get; }
}
