using Microsoft.Win32.SafeHandles;
using Sandlock.Interop;

namespace Sandlock.Confinement.Landlock;

/// <summary>Builds the Landlock ruleset fd of a plan in the parent, so the child only has to call restrict_self.</summary>
public static class LandlockRuleset
{
    private const int Enoent = 2;

    public static SafeFileHandle? Create(ConfinementPlan plan)
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
        var fd = Libc.Open(rule.Path, Libc.O_PATH | Libc.O_CLOEXEC);
        // An entry removed since planning needs no rule: what is gone cannot be accessed through it.
        if (fd < 0 && rule.MayVanish && Libc.LastError == Enoent) return;
        if (fd < 0) throw Failure($"open {rule.Path} for a Landlock rule", Libc.LastError);
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

    private static void AddPortRule(int ruleset, NetAccess access, ushort port)
    {
        if (LandlockSyscalls.AddPortRule(ruleset, (ulong)access, port) != 0)
            throw Failure($"add the Landlock rule for TCP port {port}", Libc.LastError);
    }

    private static SandboxSetupException Failure(string what, int errno) =>
        new(SetupFailure.Sandbox, $"cannot {what}: {Libc.ErrorText(errno)}");
}
