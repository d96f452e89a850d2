using Sandlock.Confinement;
using Sandlock.Policy;

namespace Sandlock.Supervision.Workspaces;

/// <summary>The handlers a workdir needs: its files, and with max_disk the writes that may grow them.</summary>
internal sealed class WorkspacePlan
{
    private WorkspacePlan(WorkspaceFiles files, WorkspaceWrites? writes)
    {
        Files = files;
        Handlers = writes is null ? [files] : [files, writes];
    }

    public WorkspaceFiles Files { get; }

    public IReadOnlyList<SyscallHandler> Handlers { get; }

    public static WorkspacePlan? For(SandboxPolicy policy, KernelFeatures kernel)
    {
        if (policy.Workdir is null) return null;
        if (policy.WorkspaceUpper is null)
            throw new SandboxSetupException(SetupFailure.Sandbox,
                "workdir: a copy-on-write layer belongs to one run; start the command with Sandbox (sessions do not offer workdir)");
        if (!kernel.SeccompAddFdSend)
            throw new SandboxSetupException(SetupFailure.Sandbox,
                $"workdir needs SECCOMP_ADDFD_FLAG_SEND and openat2 (Linux 5.14), which this kernel ({kernel.KernelRelease}) lacks");
        var files = new WorkspaceFiles(policy);
        return new WorkspacePlan(files, policy.MaxDisk is null ? null : new WorkspaceWrites(files));
    }
}
