using System.Reflection;
using Microsoft.Testing.Platform.Extensions.TestHostControllers;
using Sandlock.Testing.Policy;

namespace Sandlock.Testing.Platform;

/// <summary>
/// The confined test host's policy: read the system and the app, write only a fresh temp dir (TMPDIR) and the
/// results directory, no network; then the policy file. The host gets exactly the environment the platform prepared.
/// </summary>
internal static class TestHostPolicy
{
    public static SandboxPolicy Build(TestHostLaunchContext context, string? policyFile, string resultsDirectory, string tempDirectory,
        string? dotnetTestPipe) =>
        WholeHostPolicy.Build(new WholeHostRequest(
            [AppContext.BaseDirectory, context.WorkingDirectory, Path.GetDirectoryName(context.FileName)],
            tempDirectory,
            // Reaching a unix socket is a write: the folder of the platform's own pipes and the dotnet CLI's one socket,
            // and nothing else of the temp folder.
            new[] { resultsDirectory, PlatformPipes.Directory, dotnetTestPipe }.OfType<string>(),
            context.EnvironmentVariables,
            context.WorkingDirectory,
            policyFile,
            ProjectPolicy.DirectoryOf(Assembly.GetEntryAssembly())));
}
