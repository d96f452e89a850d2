using Microsoft.Testing.Platform.Builder;
using Microsoft.Testing.Platform.Services;

namespace Sandlock.Testing.Platform;

/// <summary>Called by the generated entry point of every app that references the package (TestingPlatformBuilderHook).</summary>
public static class SandlockTestingPlatformBuilderHook
{
    public static void AddExtensions(ITestApplicationBuilder builder, string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var extension = new SandlockExtension();
        builder.CommandLine.AddProvider(() => new SandlockCommandLineOptions(extension));
        builder.TestHostControllers.AddTestHostLauncher(services =>
            new SandlockTestHostLauncher(extension, services.GetCommandLineOptions(), services.GetConfiguration()));
    }
}
