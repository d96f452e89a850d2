using Sandlock.Confinement;
using Sandlock.Policy;

namespace Sandlock.Lifecycle;

/// <summary>
/// <c>cpu_cores</c> and <c>num_cpus</c> as a CPU affinity mask: the command runs only there, and programs that ask
/// how many CPUs they have (nproc, Environment.ProcessorCount, os.cpu_count via sched_getaffinity) see that many.
/// </summary>
internal static class CpuSelection
{
    public static ulong[]? Mask(SandboxPolicy policy)
    {
        if (policy.CpuCores is null && policy.NumCpus is null) return null;
        var available = Enumerable.Range(0, Environment.ProcessorCount).ToList();
        var cores = policy.CpuCores is { } chosen ? chosen.Distinct().Order().ToList() : available;
        foreach (var core in cores)
            if (!available.Contains(core))
                throw new SandboxSetupException(SetupFailure.Sandbox,
                    $"cpu_cores: CPU {core} is not available here (CPUs 0-{available.Count - 1})");
        if (policy.NumCpus is { } count)
        {
            if (count > cores.Count)
                throw new SandboxSetupException(SetupFailure.Sandbox, $"num_cpus: {count} CPUs asked for, {cores.Count} available");
            cores = cores.Take(count).ToList();
        }
        var mask = new ulong[(cores.Max() / 64) + 1];
        foreach (var core in cores) mask[core / 64] |= 1UL << (core % 64);
        return mask;
    }
}
