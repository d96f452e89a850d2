namespace Sandlock.Confinement.Landlock;

[Flags]
internal enum FsAccess : ulong
{
    None = 0,
    Execute = 1UL << 0,
    WriteFile = 1UL << 1,
    ReadFile = 1UL << 2,
    ReadDir = 1UL << 3,
    RemoveDir = 1UL << 4,
    RemoveFile = 1UL << 5,
    MakeChar = 1UL << 6,
    MakeDir = 1UL << 7,
    MakeReg = 1UL << 8,
    MakeSock = 1UL << 9,
    MakeFifo = 1UL << 10,
    MakeBlock = 1UL << 11,
    MakeSym = 1UL << 12,
    Refer = 1UL << 13,
    Truncate = 1UL << 14,
    IoctlDev = 1UL << 15,

    Read = Execute | ReadFile | ReadDir,
    Write = Read | WriteFile | RemoveDir | RemoveFile | MakeChar | MakeDir | MakeReg | MakeSock | MakeFifo
            | MakeBlock | MakeSym | Refer | Truncate | IoctlDev,
    /// <summary>The rights Landlock accepts on a rule for a non-directory.</summary>
    FileOnly = Execute | WriteFile | ReadFile | Truncate | IoctlDev,
}

[Flags]
internal enum NetAccess : ulong
{
    None = 0,
    BindTcp = 1UL << 0,
    ConnectTcp = 1UL << 1,
}

[Flags]
internal enum ScopeAccess : ulong
{
    None = 0,
    AbstractUnixSocket = 1UL << 0,
    Signal = 1UL << 1,
}

/// <summary>What each Landlock ABI version can enforce.</summary>
internal static class LandlockAbiRights
{
    public static FsAccess FsAccessFor(int abi) => abi switch
    {
        <= 0 => FsAccess.None,
        1 => FsAccess.Write & ~(FsAccess.Refer | FsAccess.Truncate | FsAccess.IoctlDev),
        2 => FsAccess.Write & ~(FsAccess.Truncate | FsAccess.IoctlDev),
        3 or 4 => FsAccess.Write & ~FsAccess.IoctlDev,
        _ => FsAccess.Write,
    };

    public static NetAccess NetAccessFor(int abi) => abi >= 4 ? NetAccess.BindTcp | NetAccess.ConnectTcp : NetAccess.None;

    public static ScopeAccess ScopesFor(int abi) => abi >= 6 ? ScopeAccess.AbstractUnixSocket | ScopeAccess.Signal : ScopeAccess.None;
}
