namespace Sandlock.Lifecycle.Workspaces;

/// <summary>The end of a workdir run, once nothing of it runs any more: its changes applied per on_exit or on_error.</summary>
internal static class WorkspaceEnd
{
    public static SandboxResult Apply(WorkspaceRun run, SandboxResult result, bool dryRun)
    {
        try
        {
            var outcome = run.Finish(result.Success, dryRun);
            var denials = outcome.Refused is { } why
                ? [.. result.Denials, new Denial("commit", run.Layout.Lower, result.Pid, $"max_disk: {why}")]
                : result.Denials;
            return result with { Changes = outcome.Changes, ChangesAction = outcome.Action, ChangesKeptAt = outcome.KeptAt, Denials = denials };
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SandlockException)
        {
            // The layer stays where it is; a journal, if written, lets the next sandlock finish the commit.
            return result with
            {
                ChangesKeptAt = run.Layout.Run,
                ChangesAction = BranchAction.Keep,
                Denials = [.. result.Denials, new Denial("commit", run.Layout.Lower, result.Pid, $"workdir: the changes could not be applied: {e.Message}")],
            };
        }
    }
}
