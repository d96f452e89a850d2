using Sandlock.Interop;
using Sandlock.Confinement.Seccomp;
using Sandlock.Policy;

using static Sandlock.Tests.Seccomp.FilterActions;

namespace Sandlock.Tests.Seccomp;

/// <summary>Syscalls held by the filter only when their arguments match (the rest run unheld).</summary>
public class ConditionalHoldTests
{
    private static SockFilter[] Build(SyscallTable table, params HeldSyscall[] held)
    {
        var program = SeccompProgram.Build(new SandboxPolicy(), table, denyDatagramSockets: true, held);
        BpfInterpreter.AssertWellFormed(program);
        return program;
    }


    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void A_syscall_is_held_only_for_the_listed_argument_values(string arch)
    {
        var table = Table(arch);
        var program = Build(table, new HeldSyscall("clock_gettime", ArgumentMatch.OneOf(0, 0, 5, 8, 11)));
        foreach (var realtime in new ulong[] { 0, 5, 8, 11 }) Assert.Equal(Notify, Run(program, table, "clock_gettime", realtime));
        foreach (var other in new ulong[] { 1, 4, 6, 7, 9, 12, 0xFFFFFFFA }) Assert.Equal(Allow, Run(program, table, "clock_gettime", other));
        Assert.Equal(Allow, Run(program, table, "read", 0));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void All_needs_every_part_and_any_needs_one(string arch)
    {
        var table = Table(arch);
        var program = Build(table,
            new HeldSyscall("clock_nanosleep", ArgumentMatch.All(ArgumentMatch.OneOf(0, 0, 11), ArgumentMatch.AnySet(1, 1))),
            new HeldSyscall("timerfd_settime", ArgumentMatch.Any(ArgumentMatch.AnySet(1, 1), ArgumentMatch.OneOf(0, 99))));
        Assert.Equal(Notify, Run(program, table, "clock_nanosleep", 0, 1));
        Assert.Equal(Notify, Run(program, table, "clock_nanosleep", 11, 3));
        Assert.Equal(Allow, Run(program, table, "clock_nanosleep", 0, 0));
        Assert.Equal(Allow, Run(program, table, "clock_nanosleep", 1, 1));
        Assert.Equal(Notify, Run(program, table, "timerfd_settime", 3, 1));
        Assert.Equal(Notify, Run(program, table, "timerfd_settime", 99, 0));
        Assert.Equal(Allow, Run(program, table, "timerfd_settime", 3, 2));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Conditions_of_several_handlers_combine_and_an_unconditional_hold_wins(string arch)
    {
        var table = Table(arch);
        var either = Build(table,
            new HeldSyscall("clock_gettime", ArgumentMatch.OneOf(0, 0)),
            new HeldSyscall("clock_gettime", ArgumentMatch.OneOf(0, 1)));
        Assert.Equal(Notify, Run(either, table, "clock_gettime", 0));
        Assert.Equal(Notify, Run(either, table, "clock_gettime", 1));
        Assert.Equal(Allow, Run(either, table, "clock_gettime", 2));

        var always = Build(table, new HeldSyscall("clock_gettime", ArgumentMatch.OneOf(0, 0)), new HeldSyscall("clock_gettime"));
        Assert.Equal(Notify, Run(always, table, "clock_gettime", 2));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Only_the_low_32_bits_are_compared_as_the_kernel_reads_int_arguments(string arch)
    {
        var table = Table(arch);
        var match = ArgumentMatch.OneOf(0, 0);
        var program = Build(table, new HeldSyscall("clock_gettime", match));
        Assert.Equal(Notify, Run(program, table, "clock_gettime", 0x1_0000_0000));
        Assert.True(match.Matches([0x1_0000_0000, 0, 0, 0, 0, 0]));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void Argument_checks_of_the_filter_itself_still_apply_to_a_conditionally_held_syscall(string arch)
    {
        var table = Table(arch);
        const ulong afInet = 2, afUnix = 1, sockStream = 1, sockDgram = 2;
        var program = Build(table,
            new HeldSyscall("socket", ArgumentMatch.OneOf(0, (uint)afInet)),
            new HeldSyscall("clone", ArgumentMatch.AnySet(0, 0x100)));
        Assert.Equal(Eacces, Run(program, table, "socket", afInet, sockDgram));
        Assert.Equal(Notify, Run(program, table, "socket", afInet, sockStream));
        Assert.Equal(Allow, Run(program, table, "socket", afUnix, sockStream));
        Assert.Equal(Eperm, Run(program, table, "clone", 0x10000000 | 0x100));
        Assert.Equal(Notify, Run(program, table, "clone", 0x100 | 17));
        Assert.Equal(Allow, Run(program, table, "clone", 17));
    }

    [Theory, MemberData(nameof(FilterActions.Arches), MemberType = typeof(FilterActions))]
    public void A_denied_syscall_stays_denied_whatever_its_arguments(string arch)
    {
        var table = Table(arch);
        var program = Build(table, new HeldSyscall("ptrace", ArgumentMatch.OneOf(0, 0)));
        Assert.Equal(Eperm, Run(program, table, "ptrace", 0));
        Assert.Equal(Eperm, Run(program, table, "ptrace", 1));
    }

    [Fact]
    public void The_supervisor_side_check_agrees_with_the_filter()
    {
        var table = SyscallTable.X64;
        var match = ArgumentMatch.Any(
            ArgumentMatch.All(ArgumentMatch.OneOf(0, 0, 11), ArgumentMatch.AnySet(1, 1)),
            ArgumentMatch.OneOf(2, 7, 8));
        var program = Build(table, new HeldSyscall("clock_nanosleep", match));
        var values = new ulong[] { 0, 1, 2, 3, 7, 8, 11, 0xFFFF_FFFF };
        foreach (var a in values)
        foreach (var b in values)
        foreach (var c in values)
        {
            ulong[] args = [a, b, c, 0, 0, 0];
            Assert.Equal(match.Matches(args) ? Notify : Allow, Run(program, table, "clock_nanosleep", args));
        }
    }

    [Fact]
    public void Argument_indexes_outside_0_to_5_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ArgumentMatch.OneOf(6, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ArgumentMatch.AnySet(-1, 1));
        Assert.Throws<ArgumentException>(() => ArgumentMatch.OneOf(0));
    }
}
