namespace Sandlock.Build.Sessions;

/// <summary>
/// What a session step's composition reads (<see cref="ComposedSteps.InputsOf"/>): <paramref name="Composition"/> all of
/// it, the key of its composition; <paramref name="Session"/> the part its policy depends on, the key of its session.
/// </summary>
internal sealed record StepInputs(string Composition, string Session);
