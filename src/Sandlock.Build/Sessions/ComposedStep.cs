using Sandlock.Policy;
using PolicyFileReader = Sandlock.Policy.Files.PolicyFile;

namespace Sandlock.Build.Sessions;

/// <summary>
/// A routed step's policy as its session is found by: composed without Exec's temp script and without a temp folder
/// of the step's own, so every step of a project with the same inputs has the same one.
/// </summary>
internal sealed record ComposedStep(PolicyFileReader? File, ChildRoot Root, SandboxPolicy KeyPolicy);
