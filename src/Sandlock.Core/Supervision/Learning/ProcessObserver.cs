namespace Sandlock.Supervision.Learning;

/// <summary>
/// Records the peaks a run reaches: at each new task the tasks alive in the sandbox (threads count, as
/// <c>processes</c> counts them), and as each process ends its own peak resident and private memory.
/// </summary>
internal sealed class ProcessObserver(RunRecorder recorder) : ObservingHandler(recorder)
{
    public override IReadOnlyCollection<string> Syscalls { get; } = ["clone", "clone3", "fork", "vfork", "exit_group"];

    protected override void Observe(SyscallEvent call, SupervisedSession session)
    {
        if (call.Name == "exit_group")
        {
            if (SandboxUsage.OfProcess(call.Pid) is { } ending)
            {
                Recorder.Resident(ending.PeakResident);
                Recorder.ProcessData(ending.Data);
            }
            return;
        }
        // The task being made is not there yet.
        Recorder.Tasks(SandboxUsage.Tasks(session.RootPid) + 1);
    }
}
