using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Supervision;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

public sealed class CustomHandlerTests
{
    /// <summary>Refuses execve of a program by name, as a library user's policy callback would.</summary>
    private sealed class DenyExec(string program) : SyscallHandler
    {
        public override IReadOnlyCollection<string> Syscalls { get; } = ["execve"];

        public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
        {
            var path = ChildAccess.ReadString(session, call, call.Args[0]);
            if (path is null || Path.GetFileName(path) == program)
            {
                session.Deny(new Denial("execve", path ?? "?", call.Pid, $"custom handler refuses {program}"));
                return ValueTask.FromResult(SyscallDecision.Deny(13));
            }
            return ValueTask.FromResult(SyscallDecision.Allow);
        }
    }

    private sealed class Throwing : SyscallHandler
    {
        public override IReadOnlyCollection<string> Syscalls { get; } = ["uname"];

        public override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session) =>
            throw new InvalidOperationException("handler bug");
    }

    [Fact]
    public async Task A_handler_can_refuse_one_program_while_others_run()
    {
        await using var sandbox = new Sandbox(SystemOnly().Build(), ["sh", "-c", "uname; echo after $?"]) { Handlers = [new DenyExec("uname")] };
        sandbox.Start();
        var result = await sandbox.WaitAsync();
        Assert.Equal("after 126\n", result.StandardOutputText);
        Assert.Contains("Permission denied", result.StandardErrorText);
        Assert.Contains(result.Denials, d => d.Target.EndsWith("/uname") && d.Rule.Contains("custom handler"));
    }

    [Fact]
    public async Task A_handler_fault_kills_the_sandbox_instead_of_letting_the_call_through()
    {
        await using var sandbox = new Sandbox(SystemOnly().Build(), ["sh", "-c", "uname; sleep 30"]) { Handlers = [new Throwing()] };
        sandbox.Start();
        var result = await sandbox.WaitAsync();
        Assert.True(result.Status.Killed);
        Assert.Contains(result.Denials, d => d.Rule.Contains("supervisor fault"));
    }

    [Fact]
    public void A_denied_syscall_cannot_be_handled()
    {
        var handler = new DenyExec("x");
        var policy = SystemOnly().ExtraDenySyscall("execve").Build();
        var error = Assert.Throws<SandboxSetupException>(() => ConfinementPlan.Create(policy, KernelFeatures.Current, [handler]));
        Assert.Contains("execve", error.Message);
    }
}
