using Sandlock.Lifecycle;
using Sandlock.Interop;
using Sandlock.Confinement;
using Sandlock.Confinement.Seccomp;
using Sandlock.Policy;

using static Sandlock.Tests.Seccomp.FilterActions;

namespace Sandlock.Tests.Seccomp;

/// <summary>Calls the filter refuses by their arguments, and the 64-bit non-zero match that holds pointers.</summary>
public class RefusedCallTests
{
    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void A_pointer_is_non_zero_by_either_half(string arch)
    {
        var table = Table(arch);
        var program = SeccompProgram.Build(new SandboxPolicy(), table, true, [new HeldSyscall("sendto", ArgumentMatch.NonZero(4))]);
        BpfInterpreter.AssertWellFormed(program);
        Assert.Equal(Allow, Run(program, table, "sendto", 3, 0x1000, 3, 0, 0, 0));
        Assert.Equal(Notify, Run(program, table, "sendto", 3, 0x1000, 3, 0, 0x7ffc_0000_1000, 16));
        Assert.Equal(Notify, Run(program, table, "sendto", 3, 0x1000, 3, 0, 0x1_0000_0000, 16));
        Assert.Equal(Notify, Run(program, table, "sendto", 3, 0x1000, 3, 0, 0x1000, 16));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void A_refusal_comes_before_a_hold_of_the_same_call(string arch)
    {
        var table = Table(arch);
        var program = SeccompProgram.Build(new SandboxPolicy(), table, true,
            [new HeldSyscall("setpriority", ArgumentMatch.AnySet(1, uint.MaxValue))],
            [new RefusedCall("setpriority", ArgumentMatch.OneOf(0, 2), 1)]);
        BpfInterpreter.AssertWellFormed(program);
        Assert.Equal(Eperm, Run(program, table, "setpriority", 2, 0, 5));
        Assert.Equal(Eperm, Run(program, table, "setpriority", 2, 1000, 5));
        Assert.Equal(Notify, Run(program, table, "setpriority", 0, 1234, 5));
        Assert.Equal(Allow, Run(program, table, "setpriority", 0, 0, 5));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void A_refusal_of_a_call_with_checks_of_its_own_adds_to_them(string arch)
    {
        var table = Table(arch);
        var program = SeccompProgram.Build(new SandboxPolicy(), table, true, [], [new RefusedCall("socket", ArgumentMatch.OneOf(0, 1), 13)]);
        BpfInterpreter.AssertWellFormed(program);
        Assert.Equal(Eacces, Run(program, table, "socket", 1, 1, 0));
        Assert.Equal(Allow, Run(program, table, "socket", 2, 1, 0));
        Assert.Equal(Eacces, Run(program, table, "socket", 2, 2, 0));
        Assert.Equal(Allow, Run(program, table, "socketpair", 1, 1, 0));
    }

    [Fact]
    public void Without_a_supervisor_the_plan_refuses_targets_and_unix_sockets_of_a_confined_filesystem()
    {
        var table = SyscallTable.Current;
        var kernel = KernelFeatures.Current;
        var policy = new SandboxPolicyBuilder().FsWrite("/tmp").NoSupervisor().Build();
        var plan = ConfinementPlan.Create(policy, kernel);
        Assert.Null(plan.Supervised);
        Assert.Equal(Eperm, Run(plan.SeccompFilter, table, "sched_setaffinity", 1234, 8, 0x1000));
        Assert.Equal(Allow, Run(plan.SeccompFilter, table, "sched_setaffinity", 0, 8, 0x1000));
        Assert.Equal(Eacces, Run(plan.SeccompFilter, table, "socket", 1, 1, 0));

        var open = ConfinementPlan.Create(new SandboxPolicyBuilder().NoSupervisor().Build(), kernel);
        Assert.Equal(Allow, Run(open.SeccompFilter, table, "socket", 1, 1, 0));
        Assert.Equal(Eperm, Run(open.SeccompFilter, table, "setpriority", 2, 0, 5));
    }

    [Fact]
    public void A_supervised_plan_holds_targets_and_every_connect_of_a_confined_filesystem()
    {
        var table = SyscallTable.Current;
        var plan = ConfinementPlan.Create(new SandboxPolicyBuilder().FsWrite("/tmp").Build(), KernelFeatures.Current);
        Assert.NotNull(plan.Supervised);
        Assert.Equal(Notify, Run(plan.SeccompFilter, table, "sched_setaffinity", 1234, 8, 0x1000));
        Assert.Equal(Allow, Run(plan.SeccompFilter, table, "sched_setaffinity", 0, 8, 0x1000));
        Assert.Equal(Notify, Run(plan.SeccompFilter, table, "connect", 3, 0x1000, 16));
        Assert.Equal(Allow, Run(plan.SeccompFilter, table, "sendto", 3, 0x1000, 3, 0, 0, 0));
        Assert.Equal(Notify, Run(plan.SeccompFilter, table, "sendto", 3, 0x1000, 3, 0, 0x1_0000_0000, 16));
        Assert.Equal(Eperm, Run(plan.SeccompFilter, table, "ioprio_set", 3, 0, 0));
    }
}
