using Sandlock.Interop;
using Sandlock.Confinement.Seccomp;
using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Confinement;

/// <summary>The deny list as the kernel enforces it, seen from real programs.</summary>
public sealed class SeccompKernelTests
{
    private static string PerlSyscall(string name, string args = "0, 0, 0, 0") =>
        $"my $r = syscall({SyscallTable.Current[name]}, {args}); if ($r == -1) {{ print STDERR \"{name}: $!\\n\"; exit 1 }} print 'ok'";

    [Fact]
    public async Task Creating_a_user_namespace_is_denied()
    {
        AssertDenied(await Run(SystemOnly(), "unshare", "--user", "true"), "Operation not permitted");
    }

    [Fact]
    public async Task Ptrace_is_denied()
    {
        AssertDenied(await Run(SystemOnly(), "perl", "-e", PerlSyscall("ptrace")), "Operation not permitted");
    }

    [Fact]
    public async Task Keyring_and_bpf_syscalls_are_denied()
    {
        AssertDenied(await Run(SystemOnly(), "perl", "-e", PerlSyscall("keyctl")), "Operation not permitted");
        AssertDenied(await Run(SystemOnly(), "perl", "-e", PerlSyscall("bpf")), "Operation not permitted");
    }

    [Fact]
    public async Task Ordinary_process_creation_still_works()
    {
        var result = await Sh(SystemOnly(), "echo a | tr a b; (echo sub) & wait");
        AssertSucceeded(result);
        Assert.Equal("b\nsub\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Extra_deny_syscall_denies_that_call()
    {
        AssertSucceeded(await Run(SystemOnly(), "uname"));
        AssertDenied(await Run(SystemOnly().ExtraDenySyscall("uname"), "uname"), "Operation not permitted");
    }

    [Fact]
    public async Task SysV_ipc_is_denied_unless_its_group_is_allowed()
    {
        AssertDenied(await Run(SystemOnly(), "perl", "-e", "my $id = shmget(0, 4096, 0600) // die \"shmget: $!\\n\""), "Operation not permitted");
        var allowed = await Run(SystemOnly().ExtraAllowSyscall("sysv_ipc"), "perl", "-e",
            "my $id = shmget(0, 4096, 0600) // die \"shmget: $!\\n\"; shmctl($id, 0, 0); print 'ok'");
        AssertSucceeded(allowed);
    }

    [Fact]
    public void Unknown_syscall_names_and_groups_are_rejected_with_their_source()
    {
        var name = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().ExtraDenySyscall("no_such_call", "--extra-deny-syscall").Build());
        Assert.Contains("no_such_call", name.Message);
        Assert.Contains("--extra-deny-syscall", name.Message);
        var group = Assert.Throws<PolicyException>(() => new SandboxPolicyBuilder().ExtraAllowSyscall("everything", "--extra-allow-syscall").Build());
        Assert.Contains("sysv_ipc", group.Message);
    }

    [Fact]
    public async Task A_program_cannot_take_its_held_calls_from_the_supervisor_with_a_listener_of_its_own()
    {
        // The newest filter's listener would get a held call first; the kernel refuses a second listener in one
        // filter chain (EBUSY), so the supervisor keeps answering: the seeded bytes come out the same every run.
        using var dir = new TempDir();
        var program = CPrograms.Build("Confinement/own_filter.c", dir["own_filter"]);
        var policy = SystemOnly().FsRead(dir.Path).RandomSeed(7).Build();
        var first = await Run(policy, program, "listener");
        var second = await Run(policy, program, "listener");
        AssertSucceeded(first);
        Assert.StartsWith("listener refused: Device or resource busy\n", first.StandardOutputText);
        Assert.Equal(first.StandardOutputText, second.StandardOutputText);
    }

    [Fact]
    public async Task A_program_may_narrow_itself_with_a_filter_of_its_own()
    {
        using var dir = new TempDir();
        var program = CPrograms.Build("Confinement/own_filter.c", dir["own_filter"]);
        var result = await Run(SystemOnly().FsRead(dir.Path).RandomSeed(7).Build(), program, "narrowing");
        AssertSucceeded(result);
        Assert.StartsWith("uname after narrowing: Operation not permitted\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Disabling_seccomp_lifts_the_deny_list()
    {
        var result = await Run(SystemOnly().Disable("seccomp"), "perl", "-e", "syscall(" + SyscallTable.Current["keyctl"] + ", 0, 0, 0, 0); print $! + 0");
        // keyctl(0,...) without the filter fails with the kernel's own error, not the filter's EPERM.
        Assert.NotEqual("1", result.StandardOutputText);
    }
}
