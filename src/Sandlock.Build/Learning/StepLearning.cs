using Microsoft.Build.Framework;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Policy.Learning;

namespace Sandlock.Build.Learning;

/// <summary>
/// <c>SandlockLearn=true</c>: each step of the project runs observed instead of confined (its filesystem open, its
/// network open unless its parameters or policy file name network rules; everything else as composed), and after
/// each step the project's learned file is written again from every step observed so far, so it holds what all of
/// them used. The step's own script and temp folder are left out: the step policy always grants them.
/// </summary>
internal sealed class StepLearning
{
    private readonly List<ObservedRun> _runs = [];
    private readonly Lock _gate = new();

    /// <summary>The learning of the project writing <paramref name="learnFile"/>, kept for the whole build.</summary>
    public static StepLearning For(IBuildEngine engine, string learnFile)
    {
        var key = $"Sandlock.Build.StepLearning|{learnFile}";
        if (engine is not IBuildEngine4 registry) return new StepLearning();
        if (registry.GetRegisteredTaskObject(key, RegisteredTaskObjectLifetime.Build) is StepLearning known) return known;
        var learning = new StepLearning();
        registry.RegisterTaskObject(key, learning, RegisteredTaskObjectLifetime.Build, allowEarlyCollection: false);
        return learning;
    }

    /// <summary>Runs the step observed and rewrites the file; the exit code is the step's, for ToolTask.</summary>
    public int Run(SandlockExec task, SandboxPolicy stepPolicy, IReadOnlyList<string> argv, string learnFile, string command, IReadOnlyList<string> provided)
    {
        var policy = Supervision.Learning.RunObservation.WithoutFilesystemRules(stepPolicy);
        task.Logger.LogWarning(null, DiagnosticCodes.Learning, null, null, 0, 0, 0, 0,
            "SandlockLearn: the step runs observed, not confined by the filesystem rules; what it uses goes into {0}", learnFile);
        LearningRun? learning = null;
        int code;
        try
        {
            code = new SandboxedRun(task, policy, null, [], request =>
            {
                var run = new LearningRun(policy, request);
                try { run.Start(); }
                catch
                {
                    run.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    throw;
                }
                return (learning = run).Sandbox;
            }).Run(argv);
            if (learning is null) return code;
            var (_, observed) = learning.WaitAsync().GetAwaiter().GetResult();
            Record(observed with
            {
                Commands = [["sh", "-c", command]],
                Paths = [.. observed.Paths.Where(p => !provided.Any(path => PathTree.IsSameOrUnder(p.Path, path)))],
            }, task, learnFile);
        }
        finally
        {
            learning?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return code;
    }

    private void Record(ObservedRun observed, SandlockExec task, string learnFile)
    {
        LearnedPolicy learned;
        int steps;
        lock (_gate)
        {
            _runs.Add(observed);
            steps = _runs.Count;
            learned = LearnedPolicyWriter.Write(ObservedRun.Merge(_runs), ProtectedFolders.ForCurrentUser());
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(learnFile)!);
                File.WriteAllText(learnFile, learned.Text);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                task.Logger.LogError(null, DiagnosticCodes.Learning, null, null, 0, 0, 0, 0, "SandlockLearn: cannot write {0}: {1}", learnFile, e.Message);
                task.MarkFailureReported();
                return;
            }
        }
        task.Logger.LogMessage(MessageImportance.High, "SandlockLearn: wrote {0} from {1} step(s)", learnFile, steps);
        foreach (var left in learned.NotGranted)
            task.Logger.LogMessage(MessageImportance.High, "SandlockLearn: not granted: {0}", DisplayText.OneLine(left));
    }
}
