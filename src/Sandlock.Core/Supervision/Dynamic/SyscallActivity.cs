using System.Net;

namespace Sandlock;

public enum ActivityCategory { Process, Network, File }

/// <summary>
/// A held syscall as a policy callback sees it. Everything here is a copy taken by the supervisor: the child
/// cannot change it while the callback looks at it.
/// </summary>
public sealed record SyscallActivity(
    string Syscall,
    ActivityCategory Category,
    int Pid,
    int ParentPid,
    string? Path = null,
    IReadOnlyList<string>? Argv = null,
    IPAddress? Address = null,
    int? Port = null)
{
    public override string ToString() => Category switch
    {
        ActivityCategory.Process => $"{Syscall} {string.Join(' ', Argv ?? [Path ?? "?"])}",
        ActivityCategory.Network => $"{Syscall} {Address}:{Port}",
        _ => $"{Syscall} {Path}",
    };
}

/// <summary>What a policy callback decides for one activity.</summary>
public readonly record struct PolicyVerdict(PolicyVerdict.Kind Action, int Errno = 0)
{
    public enum Kind { Allow, Deny, Audit }

    /// <summary>Let it proceed (the static policy has already allowed it).</summary>
    public static PolicyVerdict Allow => new(Kind.Allow);

    /// <summary>Refuse it with EACCES, or the given errno.</summary>
    public static PolicyVerdict Deny(int errno = Interop.Errno.EACCES) => new(Kind.Deny, errno);

    /// <summary>Let it proceed and record it in the result's denials list as audited.</summary>
    public static PolicyVerdict Audit => new(Kind.Audit);
}

/// <summary>Decides held syscalls at run time; may tighten <paramref name="live"/>, never loosen the static policy.</summary>
public delegate PolicyVerdict PolicyCallback(SyscallActivity activity, LivePolicy live);
