using System.Reflection;

namespace Sandlock.Cli;

/// <summary>The version <c>sandlock --version</c> prints: as System.CommandLine's version option finds it.</summary>
internal static class ToolVersion
{
    public static string Text
    {
        get
        {
            var assembly = Assembly.GetEntryAssembly() ?? typeof(ToolVersion).Assembly;
            return assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                ?? assembly.GetName().Version?.ToString() ?? "";
        }
    }
}
