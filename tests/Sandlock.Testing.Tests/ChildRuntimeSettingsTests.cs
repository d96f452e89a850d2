using System.Globalization;
using Sandlock.Policy;
using Sandlock.Testing.Child;

namespace Sandlock.Testing.Tests;

public sealed class ChildRuntimeSettingsTests
{
    private const string IcuVersion = "DOTNET_ICU_VERSION_OVERRIDE";

    [Fact]
    public void AChildIsToldTheIcuVersionThisHostLoaded()
    {
        // This host compares culture-aware, so it has loaded ICU: the child loads the same one without probing for it.
        Assert.True(string.Compare("a", "B", CultureInfo.GetCultureInfo("de-DE"), CompareOptions.None) < 0);
        var loaded = File.ReadLines("/proc/self/maps").First(l => l.Contains("/libicuuc.so.", StringComparison.Ordinal));
        var major = loaded[(loaded.IndexOf("/libicuuc.so.", StringComparison.Ordinal) + "/libicuuc.so.".Length)..].Split('.')[0];
        Assert.Equal(major, ChildRuntimeSettings.For(SandboxPolicy.Default).Env[IcuVersion]);
    }

    [Fact]
    public void APolicyThatNamesAnIcuVersionKeepsIt()
    {
        var policy = SandboxPolicy.Default with { Env = SandboxPolicy.Default.Env.Add(IcuVersion, "70") };
        Assert.Equal("70", ChildRuntimeSettings.For(policy).Env[IcuVersion]);
    }
}
