using System.Diagnostics;

namespace Sandlock.Testing.Bench;

/// <summary>Runs the dotnet CLI without build servers or reused nodes, and times it.</summary>
internal static class Dotnet
{
    public static TimeSpan Run(string workingDirectory, params string[] arguments) => RunWithOutput(workingDirectory, arguments).Elapsed;

    /// <summary>The run's wall time, its output and the CPU time of its whole process tree (<see cref="ChildrenCpu"/>).</summary>
    public static (TimeSpan Elapsed, string Output, TimeSpan Cpu) RunWithOutput(string workingDirectory, params string[] arguments) =>
        RunWithOutput(workingDirectory, new Dictionary<string, string>(), arguments);

    /// <inheritdoc cref="RunWithOutput(string, string[])"/>
    public static (TimeSpan Elapsed, string Output, TimeSpan Cpu) RunWithOutput(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var cpu = ChildrenCpu.Now();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        clock.Stop();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"dotnet {string.Join(' ', arguments)} failed ({process.ExitCode}):\n{output}\n{error.Result}");
        return (clock.Elapsed, output, ChildrenCpu.Now() - cpu);
    }
}
