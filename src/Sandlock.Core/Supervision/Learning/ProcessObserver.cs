namespace Sandlock.Supervision.Learning;

/// <summary>
/// Records the peaks a run reaches at the points a held call shows: as a program starts (execve), the tasks alive in
/// the sandbox (threads count, as <c>processes</c> counts them); as a process ends, its own peak resident and private
/// memory. Between them <see cref="UsageSampler"/> samples. Fork and clone are not held: a signal before the
/// supervisor receives a held call fails it with EINTR, which dash pipelines do not retry (see "Serving held
/// syscalls" in docs/architecture.md).
/// </summary>
internal sealed class ProcessObserver(RunRecorder recorder) : ObservingHandler(recorder)
{
    public override IReadOnlyCollection<string> Syscalls { get; } = ["execve", "execveat", "exit_group"];

    protected override void Observe(SyscallEvent call, SupervisedSession session)
    {
        if (call.Name != "exit_group")
        {
            Recorder.Tasks(SandboxUsage.Tasks(session.RootPid));
            return;
        }
        if (SandboxUsage.OfProcess(call.Pid) is { } ending)
        {
            Recorder.Resident(ending.PeakResident);
            Recorder.ProcessData(ending.Data);
        }
    }
}
