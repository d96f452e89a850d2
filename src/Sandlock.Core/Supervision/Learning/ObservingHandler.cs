namespace Sandlock.Supervision.Learning;

/// <summary>
/// Watches held calls for <c>sandlock learn</c> and lets every one continue as the child made it. The supervisor
/// serves observers before any other handler, so they see each call even when a later handler answers it.
/// </summary>
/// <remarks>
/// Continuing (SECCOMP_USER_NOTIF_FLAG_CONTINUE) is safe only for observation, never for enforcement: the kernel runs
/// the call with the child's memory as it is when the call resumes, which another of its threads may have changed
/// since the supervisor read it, so nothing decided on that read may allow or refuse anything. A record is advisory.
/// </remarks>
internal abstract class ObservingHandler(RunRecorder recorder) : SyscallHandler
{
    protected RunRecorder Recorder { get; } = recorder;

    public sealed override ValueTask<SyscallDecision> HandleAsync(SyscallEvent call, SupervisedSession session)
    {
        // A caller gone, a file changed mid-look or a malformed file read leaves that one call unrecorded; the run goes on.
        try { Observe(call, session); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or OverflowException or ArgumentException) { }
        return ValueTask.FromResult(SyscallDecision.Allow);
    }

    protected abstract void Observe(SyscallEvent call, SupervisedSession session);

    /// <summary>The caller's program name (its comm), as the comments of a learned policy name it.</summary>
    protected static string ProgramOf(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").TrimEnd('\n'); }
        catch (IOException) { return $"pid {pid}"; }
        catch (UnauthorizedAccessException) { return $"pid {pid}"; }
    }
}
