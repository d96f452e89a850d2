using Sandlock.Interop;

namespace Sandlock.Lifecycle.Registry;

/// <summary>
/// The per-user folder where running sandboxes are listed: $XDG_RUNTIME_DIR/sandlock when that is usable, else
/// /dev/shm/sandlock-UID, else /tmp/sandlock-UID. Each must be a real folder (not a symlink) owned by this user and closed to everyone else,
/// since whoever can write there could stand in for an owner.
/// </summary>
internal static class RuntimeFolder
{
    private const uint StatxType = 1, StatxMode = 2, StatxUid = 8;
    private const int TypeMask = 0xF000, Directory = 0x4000;

    /// <summary>The folder, created if missing; throws <see cref="RegistryException"/> naming what is wrong with it.</summary>
    public static string Resolve()
    {
        var uid = SystemInfo.EffectiveUserId();
        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime && Path.IsPathRooted(runtime)
            && Check(runtime, uid) is null)
        {
            var inRuntime = Path.Combine(runtime, "sandlock");
            if (EnsureMine(inRuntime, uid) is null) return inRuntime;
        }
        // /dev/shm is memory on every Linux; /tmp may be a journalled disk, where the entry's creates, renames and
        // unlinks cost each CLI run more.
        var inShm = $"/dev/shm/sandlock-{uid}";
        if (EnsureMine(inShm, uid) is null) return inShm;
        var inTmp = $"/tmp/sandlock-{uid}";
        return EnsureMine(inTmp, uid) is { } problem ? throw new RegistryException(problem) : inTmp;
    }

    private static string? EnsureMine(string path, uint uid)
    {
        // mkdir, not CreateDirectory: only mkdir's own mode keeps the folder closed from the first instant.
        if (FileCalls.MkdirAt(FileCalls.AtFdCwd, path, 0b111_000_000) != 0 && Libc.LastError != 17 /* EEXIST */)
            return $"cannot create the sandbox list folder {path}: {Libc.ErrorText(Libc.LastError)}";
        return Check(path, uid);
    }

    /// <summary>Null when <paramref name="path"/> is a folder (not a symlink) of <paramref name="uid"/> that only it may enter.</summary>
    internal static string? Check(string path, uint uid)
    {
        var fd = Libc.Open(path, Libc.O_PATH | Libc.O_CLOEXEC | Libc.O_NOFOLLOW);
        if (fd < 0) return $"cannot open the sandbox list folder {path}: {Libc.ErrorText(Libc.LastError)}";
        try
        {
            Span<byte> statx = stackalloc byte[256];
            if (FileCalls.Statx(fd, 0, StatxType | StatxMode | StatxUid, statx) != 0)
                return $"cannot stat the sandbox list folder {path}: {Libc.ErrorText(Libc.LastError)}";
            var owner = BitConverter.ToUInt32(statx[20..]);
            var mode = BitConverter.ToUInt16(statx[28..]);
            if ((mode & TypeMask) != Directory) return $"the sandbox list folder {path} is not a folder (a symlink or a file is in its place)";
            if (owner != uid) return $"the sandbox list folder {path} belongs to uid {owner}, not to this user ({uid})";
            if ((mode & 0b000_111_111) != 0) return $"the sandbox list folder {path} is open to other users (mode {Convert.ToString(mode & 0xFFF, 8)}; expected 700)";
            return null;
        }
        finally
        {
            Libc.Close(fd);
        }
    }
}
