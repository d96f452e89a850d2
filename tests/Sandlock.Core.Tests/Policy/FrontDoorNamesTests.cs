using Sandlock.Policy.Settings;
using Sandlock.Tests.TestSupport;

namespace Sandlock.Tests.Policy;

/// <summary>
/// The names the settings table gives SandlockExec and [Sandboxed] exist on the built task and on both attributes
/// (read from their assemblies, which this project builds first).
/// </summary>
public sealed class FrontDoorNamesTests
{
    // This assembly runs from artifacts/bin/Sandlock.Core.Tests/CONFIG; the front doors build beside it.
    private static string Built(string project) =>
        Path.Combine(AppContext.BaseDirectory, "..", "..", project, new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Name, project + ".dll");

    [Fact]
    public void Each_task_parameter_of_the_table_is_a_property_of_SandlockExec()
    {
        var (properties, _) = DeclaredTypes.Of(Built("Sandlock.Build"), "Sandlock.Build.SandlockExec");
        foreach (var setting in PolicySettings.In(FrontDoor.Task))
            Assert.True(properties.Contains(setting.TaskParameter!), $"SandlockExec has no settable {setting.TaskParameter} ({setting.Name})");
    }

    [Fact]
    public void Each_attribute_property_of_the_table_is_on_both_Sandboxed_attributes()
    {
        var (shared, _) = DeclaredTypes.Of(Built("Sandlock.Testing"), "Sandlock.Testing.SandboxedAttributeBase");
        var (settings, _) = DeclaredTypes.Of(Built("Sandlock.Testing"), "Sandlock.Testing.Policy.SandboxSettings");
        foreach (var setting in PolicySettings.In(FrontDoor.Attribute))
        {
            Assert.True(shared.Contains(setting.AttributeProperty!), $"[Sandboxed] has no settable {setting.AttributeProperty} ({setting.Name})");
            Assert.True(settings.Contains(setting.AttributeProperty!), $"SandboxSettings has no {setting.AttributeProperty} ({setting.Name})");
        }
        Assert.Equal("Sandlock.Testing.SandboxedAttributeBase", DeclaredTypes.Of(Built("Sandlock.Testing.Xunit"), "Sandlock.Testing.Xunit.SandboxedAttribute").BaseType);
        Assert.Equal("Sandlock.Testing.SandboxedAttributeBase", DeclaredTypes.Of(Built("Sandlock.Testing.NUnit"), "Sandlock.Testing.NUnit.SandboxedAttribute").BaseType);
    }
}
