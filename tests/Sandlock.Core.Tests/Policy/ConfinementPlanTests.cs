using Sandlock.Lifecycle;
using Sandlock.Confinement;
using Sandlock.Confinement.Landlock;
using Sandlock.Policy;

namespace Sandlock.Tests.Policy;

/// <summary>What happens on kernels with less Landlock than this one: planning must fail closed, or degrade only when waived.</summary>
public sealed class ConfinementPlanTests
{
    private static KernelFeatures Kernel(int abi) => KernelFeatures.Current with { LandlockAbi = abi, KernelRelease = "test" };

    [Fact]
    public void A_kernel_without_network_rules_refuses_to_run()
    {
        var error = Assert.Throws<SandboxSetupException>(() => ConfinementPlan.Create(new SandboxPolicyBuilder().Build(), Kernel(3)));
        Assert.Contains("landlock-net", error.Message);
        Assert.Contains("ABI 4", error.Message);
        Assert.Contains("--allow-degraded", error.Message);
    }

    [Fact]
    public void A_waived_protection_is_reported_as_degraded()
    {
        var policy = new SandboxPolicyBuilder().AllowDegraded("landlock-net").AllowDegraded("landlock-scope-abstract-unix")
            .AllowDegraded("landlock-scope-signal").Build();
        var plan = ConfinementPlan.Create(policy, Kernel(3));
        Assert.Equal(NetAccess.None, plan.HandledNet);
        Assert.Contains("landlock-net", plan.Degraded);
    }

    [Fact]
    public void No_landlock_at_all_names_the_missing_feature()
    {
        var error = Assert.Throws<SandboxSetupException>(() => ConfinementPlan.Create(new SandboxPolicyBuilder().FsRead("/usr").Build(), Kernel(0)));
        Assert.Contains("has no Landlock", error.Message);
        Assert.Contains("landlock-fs", error.Message);
    }

    [Fact]
    public void Disabled_protections_are_not_handled()
    {
        var plan = ConfinementPlan.Create(new SandboxPolicyBuilder().FsRead("/usr").Disable("landlock").Build(), Kernel(7));
        Assert.False(plan.UsesLandlock);
    }

    [Fact]
    public void This_kernel_enforces_everything_without_waivers()
    {
        var plan = ConfinementPlan.Create(new SandboxPolicyBuilder().FsRead("/usr").Build());
        Assert.Empty(plan.Degraded);
        Assert.Equal(LandlockAbiRights.FsAccessFor(KernelFeatures.Current.LandlockAbi), plan.HandledFs);
        Assert.NotEmpty(plan.SeccompFilter);
    }
}
