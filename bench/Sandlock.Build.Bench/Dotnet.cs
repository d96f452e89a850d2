using System.Diagnostics;

namespace Sandlock.Build.Bench;

/// <summary>Runs the dotnet CLI without build servers or reused nodes and returns its output.</summary>
internal static class Dotnet
{
    /// <summary>Builds run in MSBuild worker nodes that stay up between builds, as on a developer's machine.</summary>
    public static bool ReuseNodes { get; set; }

    public static string Run(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        if (ReuseNodes) start.Environment["MSBUILDNOINPROCNODE"] = "1"; // every project in a reused worker node
        else start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{output}\n{error.Result}");
        return output;
    }
}
