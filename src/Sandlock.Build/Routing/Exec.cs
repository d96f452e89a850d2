namespace Sandlock.Build.Routing;

/// <summary>
/// The task that <c>&lt;Exec&gt;</c> resolves to when <c>$(SandlockRouteExec)</c> is true: Sandlock.targets registers
/// it under the name <c>Exec</c>, so every Exec of the project, imported targets included, runs confined.
/// </summary>
public sealed class Exec : SandlockExec;
