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
        // Before the platform makes its pipes, which a confined host must be able to reach.
        if (arguments.Contains("--" + SandlockCommandLineOptions.OptionName) || (AppContext.TryGetSwitch(SandlockTestHostLauncher.EnabledSwitch, out var on) && on))
            PlatformPipes.Prepare();
        builder.CommandLine.AddProvider(() => new SandlockCommandLineOptions(extension));
        builder.TestHostControllers.AddTestHostLauncher(services =>
            new SandlockTestHostLauncher(extension, services.GetCommandLineOptions(), services.GetConfiguration()));
    }
}
