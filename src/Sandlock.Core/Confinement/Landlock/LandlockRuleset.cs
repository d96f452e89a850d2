using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;

namespace Sandlock.Confinement.Landlock;

/// <summary>Builds the Landlock ruleset fd of a plan in the parent, so the child only has to call restrict_self.</summary>
internal static class LandlockRuleset
{

    public static SafeFileHandle? Create(ILandlockRestriction plan)
    {
        if (!plan.UsesLandlock) return null;
        var attr = new LandlockSyscalls.RulesetAttr
        {
            HandledAccessFs = (ulong)plan.HandledFs,
            HandledAccessNet = (ulong)plan.HandledNet,
            Scoped = (ulong)plan.Scopes,
        };
        var fd = LandlockSyscalls.CreateRuleset(attr, plan.LandlockAbi);
        if (fd < 0) throw Failure("create the Landlock ruleset", Libc.LastError);
        var ruleset = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            foreach (var rule in plan.FsRules) AddPathRule(fd, rule, plan.HandledFs);
            foreach (var port in plan.ConnectPorts) AddPortRule(fd, NetAccess.ConnectTcp, port);
            foreach (var port in plan.BindPorts) AddPortRule(fd, NetAccess.BindTcp, port);
            return ruleset;
        }
        catch
        {
            ruleset.Dispose();
            throw;
        }
    }

    private static void AddPathRule(int ruleset, FsRule rule, FsAccess handled)
    {
        var access = rule.Access & handled;
        if (access == FsAccess.None) return;
        var (fd, error) = rule.Root is null ? (Libc.Open(rule.Path, Libc.O_PATH | Libc.O_CLOEXEC), Libc.LastError) : OpenInRoot(rule, rule.Root);
        // An entry removed since planning needs no rule: what is gone cannot be accessed through it.
        if (fd < 0 && rule.MayVanish && error == Errno.ENOENT) return;
        if (fd < 0) throw Failure($"open {rule.Path} for a Landlock rule", error);
        try
        {
            if (LandlockSyscalls.AddPathRule(ruleset, (ulong)access, fd) != 0)
                throw Failure($"add the Landlock rule for {rule.Path}", Libc.LastError);
        }
        finally
        {
            Libc.Close(fd);
        }
    }

    /// <summary>The rule's path opened as the command would reach it: symlinks resolve inside its chroot or mounted folder.</summary>
    private static (int Fd, int Error) OpenInRoot(FsRule rule, string root)
    {
        if (!Policy.PathTree.IsSameOrUnder(rule.Path, root))
            throw new SandboxSetupException(SetupFailure.Sandbox, $"the Landlock rule for {rule.Path} is not inside {root}, the chroot or mounted folder it belongs to");
        var rootFd = Libc.Open(root, Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC);
        if (rootFd < 0) throw Failure($"open the chroot {root}", Libc.LastError);
        var inside = rule.Path == root ? "." : rule.Path[(root.Length + 1)..];
        var fd = ResolvingOpen.OpenAt2(rootFd, inside, (ulong)(Libc.O_PATH | Libc.O_CLOEXEC), ResolvingOpen.ResolveInRoot | ResolvingOpen.ResolveNoMagicLinks);
        var error = Libc.LastError;
        Libc.Close(rootFd);
        return (fd, error);
    }

    private static void AddPortRule(int ruleset, NetAccess access, ushort port)
    {
        if (LandlockSyscalls.AddPortRule(ruleset, (ulong)access, port) != 0)
            throw Failure($"add the Landlock rule for TCP port {port}", Libc.LastError);
    }

    private static SandboxSetupException Failure(string what, int errno) =>
        new(SetupFailure.Sandbox, $"cannot {what}: {Libc.ErrorText(errno)}");
}
