using Microsoft.Build.Framework;
using Sandlock.Policy;

namespace Sandlock.Build.Sessions;

/// <summary>
/// With Exec routed, a project's first step would pay for composing its policy, provisioning its session and
/// confining a child (~3.5 ms in a warm node). As the project's build starts, this does that work on a thread-pool thread for
/// the policy of an Exec without policy parameters or a working directory of its own (what most steps are), while
/// MSBuild goes on with the targets before the first step; a step whose inputs differ composes and provisions for
/// itself. Nothing is reported here: a step with the same inputs meets the same failure and reports it.
/// </summary>
internal static class FirstStepPreparation
{
    /// <summary>
    /// Reads what the build engine and the process hold for this project (its key, MSBuild's current folder, the
    /// environment) on the calling (task) thread, which MSBuild moves on to other projects; prepares in the background.
    /// </summary>
    public static void Start(IBuildEngine engine, ProjectSettings project)
    {
        if (StepSessions.Of(engine) is not { } sessions) return;
        var projectKey = ProjectSettings.KeyFor(engine, project.ProjectDirectory);
        var workingDirectory = Directory.GetCurrentDirectory();
        var environment = Environment.GetEnvironmentVariables();
        _ = Task.Run(() =>
        {
            try
            {
                // A routed Exec with nothing set: its parameters, working directory (the project's) and environment.
                var parameters = PolicyParameters.Of(new Routing.Exec());
                var step = new StepPolicy.Step(project, ChildRoot.Host, workingDirectory, WorkingDirectoryGiven: false,
                    ScriptPath: null, TempDirectory: null, ExecEnvironment: [], environment);
                var inputs = ComposedSteps.InputsOf(project, project.PolicyFile, parameters, step);
                var composed = sessions.Compositions.For(inputs.Composition, () => ComposedSteps.Compose(step, parameters, project.PolicyFile));
                // A workdir's layer belongs to one run, and a chroot's temp folder is made per step: those provision per step.
                if (composed.KeyPolicy.Workdir is null && composed.Root.Chroot is null)
                    sessions.Prepare(projectKey, inputs.Session, composed.KeyPolicy);
            }
            catch (Exception)
            {
                // Only ahead of time: the step that needs this session provisions it again and reports what fails.
            }
        });
    }
}
