using Sandlock.Lifecycle.Workspaces;

namespace Sandlock;

/// <summary>
/// Several sandboxed commands over one copy-on-write workdir, all or nothing: each stage runs with its own policy
/// (whose workdir must be this one) and sees what the stages before it changed; <see cref="Commit"/> applies the
/// changes of all of them to the folder, and only when every stage succeeded. Disposing an uncommitted transaction
/// throws its changes away.
/// </summary>
public sealed class WorkspaceTransaction : IDisposable
{
    private readonly WorkspaceRun _run;
    private readonly Lock _gate = new();
    private bool _failed, _ended;

    private WorkspaceTransaction(WorkspaceRun run) => _run = run;

    /// <summary>The folder the stages change.</summary>
    public string Workdir => _run.Layout.Lower;

    /// <summary>Starts a transaction over <paramref name="workdir"/>, its layer kept in <paramref name="fsStorage"/> (default: the temp dir's).</summary>
    public static WorkspaceTransaction Begin(string workdir, string? fsStorage = null)
    {
        var builder = new SandboxPolicyBuilder().Workdir(workdir, "workdir");
        if (fsStorage is not null) builder.FsStorage(fsStorage, "fsStorage");
        return new WorkspaceTransaction(WorkspaceRun.Create(builder.Build()));
    }

    /// <summary>
    /// Runs one stage to its end over the transaction's layer. A stage that does not succeed (exit 0) fails the
    /// transaction: its later stages are refused and it can only be thrown away.
    /// </summary>
    public async Task<SandboxResult> RunAsync(SandboxPolicy policy, IReadOnlyList<string> command, TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (policy.Workdir != Workdir)
            throw new SandboxSetupException(SetupFailure.Sandbox, $"a stage of the transaction over {Workdir} must have it as its workdir (it has {policy.Workdir ?? "none"})");
        lock (_gate)
        {
            if (_ended) throw new InvalidOperationException("the transaction has ended");
            if (_failed) throw new InvalidOperationException("a stage of the transaction failed: it can only be thrown away");
        }
        await using var sandbox = new Sandbox(policy, command) { Timeout = timeout, Transaction = _run };
        sandbox.Start();
        var result = await sandbox.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!result.Success || result.Denials.Any(d => d.Rule.StartsWith("max_disk", StringComparison.Ordinal)))
            lock (_gate) _failed = true;
        return result;
    }

    /// <summary>What the stages so far changed, sorted by path.</summary>
    public IReadOnlyList<WorkspaceChange> Changes => ChangeList.Of(_run.Layout);

    /// <summary>Applies every stage's changes to the folder (as a run's commit: per file atomically, crash-safe as a whole).</summary>
    public IReadOnlyList<WorkspaceChange> Commit()
    {
        lock (_gate)
        {
            if (_ended) throw new InvalidOperationException("the transaction has ended");
            if (_failed) throw new InvalidOperationException("a stage of the transaction failed: nothing is committed");
            _ended = true;
        }
        var outcome = _run.Finish(succeeded: true, dryRun: false);
        if (outcome.Refused is { } why) throw new SandboxSetupException(SetupFailure.Sandbox, $"workdir {Workdir}: {why}");
        return outcome.Changes;
    }

    /// <summary>Throws every stage's changes away.</summary>
    public void Abort()
    {
        lock (_gate)
        {
            if (_ended) return;
            _ended = true;
        }
        _run.Finish(succeeded: false, dryRun: true);
    }

    public void Dispose() => Abort();
}
