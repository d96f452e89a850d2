using Sandlock.Interop;
using Sandlock.Orchestration;

namespace Sandlock;

/// <summary>
/// Stages run at once, each in its own sandbox with its own policy, the stdout of one on the stdin of the next
/// through a kernel pipe (the parent never sees the data). The first stage reads /dev/null.
/// </summary>
public sealed class Pipeline
{
    public Pipeline(IReadOnlyList<Stage> stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        if (stages.Count < 2) throw new ArgumentException("a pipeline needs at least 2 stages", nameof(stages));
        if (stages.Any(s => s is null)) throw new ArgumentException("a pipeline stage is null", nameof(stages));
        Stages = [.. stages];
    }

    public IReadOnlyList<Stage> Stages { get; }

    public static Pipeline operator |(Pipeline pipeline, Stage next) => new([.. pipeline.Stages, next]);

    /// <summary>
    /// Runs every stage and returns the last one's status and stdout; its stderr and
    /// <see cref="SandboxResult.Denials"/> hold every stage's, in stage order. The timeout is for the whole pipeline. Once the last stage has ended, stages
    /// still running are killed: nothing reads their output any more. Throws <see cref="SandboxSetupException"/> when
    /// a stage cannot start; the stages started by then are killed.
    /// </summary>
    public async Task<SandboxResult> RunAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        using var pipes = new PipeSet();
        var launches = new List<StageLaunch>(Stages.Count);
        var stdin = -1;
        for (var i = 0; i < Stages.Count; i++)
        {
            var last = i == Stages.Count - 1;
            var (read, write) = last ? (-1, -1) : pipes.Create();
            launches.Add(new StageLaunch(Stages[i], new Lifecycle.ChildStreams(stdin, write)));
            stdin = read;
        }
        return await StageRunner.RunAsync(launches, pipes, timeout, cancellationToken).ConfigureAwait(false);
    }
}
