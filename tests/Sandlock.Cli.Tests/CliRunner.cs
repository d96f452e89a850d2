using System.Diagnostics;

namespace Sandlock.Tests;

/// <summary>Runs the built <c>sandlock</c> executable as a user would.</summary>
public static class CliRunner
{
    /// <summary>artifacts/bin/Sandlock.Cli/CONFIG/sandlock, next to this test project's own output folder.</summary>
    public static string Executable { get; } = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "Sandlock.Cli",
        new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Name, "sandlock"));

    public static readonly string[] SystemReads = ["-r", "/usr", "-r", "/lib", "-r", "/bin"];

    public sealed record Outcome(int ExitCode, string Stdout, string Stderr);

    public static Task<Outcome> Run(params string[] args) => RunAs(null, args);

    /// <summary>Runs sandlock, optionally as another user through setpriv (wrapper = the setpriv argv prefix).</summary>
    public static Task<Outcome> RunAs(string[]? wrapper, params string[] args) => RunAs(wrapper, null, args);

    /// <summary>Runs sandlock with variables added to its environment (and so, unless it keeps them out, the sandbox's).</summary>
    public static async Task<Outcome> RunAs(string[]? wrapper, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var info = new ProcessStartInfo(wrapper?[0] ?? Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in wrapper?.Skip(1) ?? []) info.ArgumentList.Add(a);
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(limit.Token);
        return new Outcome(process.ExitCode, await stdout, await stderr);
    }
}
