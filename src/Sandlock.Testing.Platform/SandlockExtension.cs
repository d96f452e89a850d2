using Microsoft.Testing.Platform.Extensions;

namespace Sandlock.Testing.Platform;

/// <summary>The identity the platform shows for this extension's option and launcher.</summary>
internal sealed class SandlockExtension : IExtension
{
    public string Uid => "Sandlock.Testing.Platform";
    public string Version => typeof(SandlockExtension).Assembly.GetName().Version?.ToString() ?? "0";
    public string DisplayName => "Sandlock confined test host";
    public string Description => "Runs the test host in a process confined by Landlock and seccomp.";
    public Task<bool> IsEnabledAsync() => Task.FromResult(true);
}
