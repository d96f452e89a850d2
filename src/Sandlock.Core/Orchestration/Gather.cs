using Sandlock.Orchestration;

namespace Sandlock;

/// <summary>
/// Named producers feeding one consumer, each in its own sandbox: the last source's stdout is the consumer's stdin,
/// the others arrive on fd 3, 4, ... in the order added, and the consumer finds the <c>name:fd</c> list, comma
/// separated, in the environment variable <c>_SANDLOCK_GATHER</c> (the original sandlock's name).
/// </summary>
public sealed class Gather
{
    /// <summary>The variable that tells the consumer which fd carries which source.</summary>
    public const string EnvironmentVariable = "_SANDLOCK_GATHER";

    private readonly List<(string Name, Stage Stage)> _sources = [];
    private Stage? _consumer;

    public Gather Source(string name, Stage stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        if (string.IsNullOrEmpty(name) || name.Contains(',') || name.Contains(':') || name.Contains('\0'))
            throw new ArgumentException($"gather source name '{name}': give a non-empty name without ',' or ':'", nameof(name));
        if (_sources.Any(s => s.Name == name)) throw new ArgumentException($"gather source '{name}' is added twice", nameof(name));
        _sources.Add((name, stage));
        return this;
    }

    public Gather Consumer(Stage stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        _consumer = stage;
        return this;
    }

    /// <summary>
    /// Runs the sources and the consumer at once and returns the consumer's status and stdout, with every stage's
    /// stderr and denials (sources first, in the order added). The timeout is for the whole; once the consumer has ended, sources still running are killed.
    /// </summary>
    public async Task<SandboxResult> RunAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var consumer = _consumer ?? throw new InvalidOperationException("a gather needs a consumer: call Consumer(stage)");
        if (_sources.Count == 0) throw new InvalidOperationException("a gather needs at least one source: call Source(name, stage)");

        using var pipes = new PipeSet();
        var launches = new List<StageLaunch>(_sources.Count + 1);
        var extraFds = new List<int>();
        var assignments = new List<string>();
        var consumerStdin = -1;
        for (var i = 0; i < _sources.Count; i++)
        {
            var (read, write) = pipes.Create();
            launches.Add(new StageLaunch(_sources[i].Stage, new Lifecycle.ChildStreams(Stdout: write)));
            if (i == _sources.Count - 1)
            {
                consumerStdin = read;
                assignments.Add($"{_sources[i].Name}:0");
            }
            else
            {
                assignments.Add($"{_sources[i].Name}:{3 + extraFds.Count}");
                extraFds.Add(read);
            }
        }
        var policy = consumer.Policy with { Env = consumer.Policy.Env.SetItem(EnvironmentVariable, string.Join(',', assignments)) };
        launches.Add(new StageLaunch(new Stage(policy, consumer.Command), new Lifecycle.ChildStreams(consumerStdin, ExtraFds: extraFds)));
        return await StageRunner.RunAsync(launches, pipes, timeout, cancellationToken).ConfigureAwait(false);
    }
}
