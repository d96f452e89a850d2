using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Confinement.Landlock;
using Sandlock.Policy;

namespace Sandlock.Cli;

/// <summary><c>--explain</c>: shows what the kernel would be asked to enforce, without running anything.</summary>
internal static class Explain
{
    public static int Print(SandboxPolicy policy, IReadOnlyList<string> command)
    {
        ConfinementPlan plan;
        try { plan = ConfinementPlan.Create(policy); }
        catch (SandboxSetupException e) { return ExitCodes.Fail(e.Message); }

        Console.WriteLine($"command: {string.Join(' ', command)}");
        Console.WriteLine($"landlock ABI: {plan.LandlockAbi}");
        Console.WriteLine($"filesystem: {(plan.HandledFs == 0 ? "not confined" : $"confined ({plan.FsRules.Count} rules)")}");
        foreach (var rule in plan.FsRules) Console.WriteLine($"  {rule.Path}: {rule.Access}");
        var connect = plan.Supervised?.Network is not null ? "checked by the supervisor"
            : plan.HandledNet.HasFlag(NetAccess.ConnectTcp) ? Ports(plan.ConnectPorts) : "not confined";
        Console.WriteLine($"tcp connect: {connect}");
        Console.WriteLine($"tcp bind: {(plan.HandledNet == 0 ? "not confined" : Ports(plan.BindPorts))}");
        Console.WriteLine($"ipc scopes: {plan.Scopes}");
        Console.WriteLine($"seccomp: {(plan.SeccompFilter.Length == 0 ? "off" : $"deny list, {plan.SeccompFilter.Length} BPF instructions")}");
        Console.WriteLine($"supervisor: {(plan.Supervised is { } supervised ? "holds " + string.Join(", ", supervised.Holds) : "not needed")}");
        if (plan.Supervised?.Network?.PinnedHosts is { Count: > 0 } pinned)
            foreach (var (host, addresses) in pinned) Console.WriteLine($"  {host} pinned to {string.Join(", ", addresses.Select(a => a.ToString()))}");
        if (plan.ProcessLimit is { } limit)
            Console.WriteLine($"process limit: {limit.Max} tasks, through {(limit.Mechanism == ProcessCountMechanism.PidsCgroup ? "a pids cgroup" : "a user namespace with RLIMIT_NPROC")}");
        if (plan.Degraded.Count > 0) Console.WriteLine($"degraded: {string.Join(", ", plan.Degraded)}");
        Console.WriteLine($"environment: {(policy.CleanEnv ? "clean" : "inherited")}{(policy.Env.Count > 0 ? $", {policy.Env.Count} set" : "")}");
        if (policy.Cwd is not null) Console.WriteLine($"cwd: {policy.Cwd}");
        return 0;
    }

    private static string Ports(IReadOnlyList<ushort> ports) => ports.Count == 0 ? "denied" : "only " + string.Join(',', ports);
}
