using System.Reflection;
using Microsoft.Testing.Platform.CommandLine;
using Microsoft.Testing.Platform.Configurations;
using Microsoft.Testing.Platform.Extensions;
using Microsoft.Testing.Platform.Extensions.TestHostControllers;
using Sandlock.Lifecycle;
using Sandlock.Testing.Policy;

namespace Sandlock.Testing.Platform;

/// <summary>
/// Starts the test host through a Sandlock sandbox instead of Process.Start; the platform keeps its IPC,
/// environment providers and lifetime handlers. Active only with <c>--sandlock</c> or <c>SandlockTestHost=true</c>,
/// so an app that merely references the package runs as before.
/// </summary>
internal sealed class SandlockTestHostLauncher(IExtension extension, ICommandLineOptions options, IConfiguration configuration) : ITestHostLauncher
{
    public const string EnabledSwitch = "Sandlock.TestHost";
    public const string PolicyFileSetting = "Sandlock.TestHost.PolicyFile";

    public string Uid => extension.Uid;
    public string Version => extension.Version;
    public string DisplayName => extension.DisplayName;
    public string Description => extension.Description;

    public Task<bool> IsEnabledAsync() => Task.FromResult(options.IsOptionSet(SandlockCommandLineOptions.OptionName)
        || (AppContext.TryGetSwitch(EnabledSwitch, out var on) && on));

    public Task<ITestHostHandle> LaunchTestHostAsync(TestHostLaunchContext context, CancellationToken cancellationToken)
    {
        var resultsDirectory = Directory.CreateDirectory(configuration.GetTestResultDirectory()).FullName;
        var temp = Directory.CreateTempSubdirectory("sandlock-testhost-").FullName;
        var policyFile = PolicyFile();
        var policy = TestHostPolicy.Build(context, policyFile, resultsDirectory, temp, DotnetTestPipe());
        var sandbox = new Sandbox(policy, [context.FileName, .. context.Arguments], StdioMode.Inherit);
        try
        {
            sandbox.Start();
        }
        catch
        {
            sandbox.Dispose();
            Directory.Delete(temp, recursive: true);
            throw;
        }
        return Task.FromResult<ITestHostHandle>(new SandboxedTestHostHandle(sandbox, temp, policyFile));
    }

    // dotnet test's Microsoft.Testing.Platform mode hands the host the CLI's own unix socket (in /tmp) to report to.
    private string? DotnetTestPipe() =>
        options.TryGetOptionArgumentList("dotnet-test-pipe", out var arguments) && arguments is [var pipe] && Path.IsPathRooted(pipe) ? pipe : null;

    private string? PolicyFile()
    {
        if (options.TryGetOptionArgumentList(SandlockCommandLineOptions.OptionName, out var arguments) && arguments is [var file])
            return Path.GetFullPath(file);
        var recorded = AppContext.GetData(PolicyFileSetting) is string { Length: > 0 } configured ? configured : null;
        return ProjectPolicy.FileForRun(recorded, ProjectPolicy.DirectoryOf(Assembly.GetEntryAssembly()), out var policyFile, out var missing)
            ? policyFile : throw new InvalidOperationException($"Sandlock: {missing}");
    }
}
