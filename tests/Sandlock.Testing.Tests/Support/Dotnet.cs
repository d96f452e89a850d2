using System.Diagnostics;

namespace Sandlock.Testing.Tests.Support;

/// <summary>Runs the dotnet CLI (or a built app) the way a developer would, with output captured.</summary>
public static class Dotnet
{
    public sealed record Outcome(int ExitCode, string Output)
    {
        public override string ToString() => $"exit {ExitCode}\n{Output}";
    }

    public static string Host { get; } = Sandlock.Testing.Policy.SystemReadPaths.DotnetHost;

    public static async Task<Outcome> Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        // The outer test run's MSBuild and test-host variables would steer the inner builds and runs.
        foreach (var key in info.Environment.Keys.ToList())
            if (key.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.Ordinal)
                || key.StartsWith("TESTINGPLATFORM", StringComparison.Ordinal) || key is "DOTNET_HOST_PATH")
                info.Environment.Remove(key);
        info.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} ran longer than 8 minutes:\n{await stdout}");
        }
        return new Outcome(process.ExitCode, await stdout + await stderr);
    }
}
