using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Sandlock.Tests;

/// <summary>
/// The Sandlock.Cli tool package as a user gets it: packed (the package that points at the runtime packages, and
/// this machine's NativeAOT one) into a local folder, installed with <c>dotnet tool install</c> into a fresh tool
/// path, then run. The build is a separate one (its own artifacts folder in a temp directory), so it neither uses
/// nor disturbs the build the other tests run from.
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sandlock-tool-package-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public async Task Installed_tool_is_the_native_binary_and_runs_a_sandbox()
    {
        var rid = RuntimeInformation.OSArchitecture == Architecture.Arm64 ? "linux-arm64" : "linux-x64";
        var version = $"0.1.0-tooltest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        var feed = Path.Combine(_dir, "feed");
        string[] common = ["-c", "Release", "-o", feed, $"-p:Version={version}", $"-p:ArtifactsPath={Path.Combine(_dir, "artifacts")}/", "-nr:false"];
        var project = Path.Combine(RepositoryRoot, "src", "Sandlock.Cli", "Sandlock.Cli.csproj");

        await Expect(0, Dotnet, ["pack", project, .. common]);
        await Expect(0, Dotnet, ["pack", project, "-r", rid, .. common]);
        Assert.True(File.Exists(Path.Combine(feed, $"Sandlock.Cli.{version}.nupkg")));
        Assert.True(File.Exists(Path.Combine(feed, $"Sandlock.Cli.{rid}.{version}.nupkg")));

        var tools = Path.Combine(_dir, "tools");
        await Expect(0, Dotnet, ["tool", "install", "Sandlock.Cli", "--tool-path", tools, "--add-source", feed, "--version", version]);
        var sandlock = Path.Combine(tools, "sandlock");

        // The NativeAOT binary itself (an ELF file), not a framework-dependent apphost with dlls beside it, and
        // with the C shim linked in: no libsandlock.so next to it.
        var binary = new FileInfo(sandlock).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? sandlock;
        Assert.Equal("\u007fELF"u8.ToArray(), File.ReadAllBytes(binary)[..4]);
        var folder = Path.GetDirectoryName(binary)!;
        Assert.False(File.Exists(Path.Combine(folder, "sandlock.dll")), "framework-dependent build installed");
        Assert.False(File.Exists(Path.Combine(folder, "libsandlock.so")), "the shim should be linked into the binary");

        var versionOutput = await Expect(0, sandlock, ["--version"]);
        Assert.StartsWith(version, versionOutput.Stdout.Trim());

        var allowed = await Expect(0, sandlock, ["run", .. CliRunner.SystemReads, "--", "/bin/echo", "from the installed tool"]);
        Assert.Equal("from the installed tool", allowed.Stdout.Trim());
        // Confined, not only run: a file outside the granted paths stays unreadable.
        var secret = Path.Combine(_dir, "secret.txt");
        await File.WriteAllTextAsync(secret, "secret\n");
        var denied = await Run(sandlock, ["run", .. CliRunner.SystemReads, "--", "/bin/cat", secret]);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.DoesNotContain("secret", denied.Stdout);
    }

    private static string Dotnet => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    private static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Sandlock.sln"))) return dir.FullName;
            throw new InvalidOperationException($"no Sandlock.sln above {AppContext.BaseDirectory}");
        }
    }

    private static async Task<CliRunner.Outcome> Expect(int exitCode, string file, string[] args)
    {
        var outcome = await Run(file, args);
        Assert.True(outcome.ExitCode == exitCode,
            $"{file} {string.Join(' ', args)}: exit {outcome.ExitCode}, expected {exitCode}\n{outcome.Stdout}\n{outcome.Stderr}");
        return outcome;
    }

    private static async Task<CliRunner.Outcome> Run(string file, string[] args)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        // Packing compiles the CLI ahead of time: a minute or two on a busy 2-core machine.
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new CliRunner.Outcome(process.ExitCode, await stdout, await stderr);
    }
}
