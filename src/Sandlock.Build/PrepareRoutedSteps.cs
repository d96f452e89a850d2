namespace Sandlock.Build;

/// <summary>
/// Runs as a project with <c>SandlockRouteExec=true</c> starts its build: provisions the session of its plain steps in
/// the background (<see cref="Sessions.FirstStepPreparation"/>), so that its first step only launches.
/// </summary>
public sealed class PrepareRoutedSteps : Microsoft.Build.Utilities.Task
{
    public override bool Execute()
    {
        var project = ProjectSettings.For(BuildEngine);
        if (project.Enabled && project.LearnFile is null && OperatingSystem.IsLinux())
            Sessions.FirstStepPreparation.Start(BuildEngine, project);
        return true;
    }
}
