using System.Diagnostics;
using Sandlock.Lifecycle.Workspaces;
using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Workspaces;

/// <summary>
/// <c>dotnet build</c> of a small project in a copy-on-write workdir, committed, gives byte for byte the tree the same
/// build gives bare at the same path (so the paths MSBuild and the compiler embed agree). The restore runs once, bare,
/// before either build (both build with --no-restore): it needs no sandbox to be compared and would double the time.
/// </summary>
public sealed class DotnetBuildInWorkdirTests : IDisposable
{
    private readonly TempDir _root = new();

    public void Dispose() => _root.Dispose();

    private const string ProjectFile = """
        <Project Sdk="Microsoft.NET.Sdk">
          <PropertyGroup>
            <OutputType>Exe</OutputType>
            <TargetFramework>net10.0</TargetFramework>
            <Nullable>enable</Nullable>
            <ImplicitUsings>enable</ImplicitUsings>
          </PropertyGroup>
        </Project>
        """;

    private const string Program = """
        var greeting = Greeter.For(args.Length > 0 ? args[0] : "world");
        Console.WriteLine(greeting);

        internal static class Greeter
        {
            public static string For(string name) => $"hello, {name}";
        }
        """;

    [Fact]
    public async Task A_dotnet_build_committed_from_a_workdir_equals_the_same_build_run_bare_at_the_same_path()
    {
        var project = _root.Mkdir("app");
        var stash = _root["app-restored"];
        _root.Write("app/app.csproj", ProjectFile);
        _root.Write("app/Program.cs", Program);
        var environment = BuildEnvironment();
        Assert.Equal(0, RunBare(project, environment, "restore", "app.csproj"));
        CopyTree(project, stash);

        Assert.Equal(0, RunBare(project, environment, "build", "app.csproj"));
        // Every file is compared, none excluded: the SDK builds deterministically, and nothing it writes (the caches,
        // FileListAbsolute.txt, the pdb's paths, the patched apphost) differs between two builds at one path.
        var bare = WorkspaceTests.Snapshot(project);
        foreach (var output in new[] { "bin/Release/net10.0/app.dll", "bin/Release/net10.0/app.pdb", "bin/Release/net10.0/app", "obj/Release/net10.0/app.csproj.FileListAbsolute.txt" })
            Assert.Contains(output, bare.Keys);
        Directory.Delete(project, recursive: true);
        Directory.Move(stash, project);
        Assert.DoesNotContain("bin", Directory.EnumerateDirectories(project).Select(Path.GetFileName));

        var storage = _root.Mkdir("storage");
        var policy = SystemOnly().FsRead("/etc").FsRead("/proc").FsRead(DotnetPrograms.Root)
            .FsWrite(environment["HOME"]).FsWrite(environment["TMPDIR"]).FsWrite(FrontDoorDefaults.DotnetSharedMemory)
            .Workdir(project).FsStorage(storage).Cwd(project).CleanEnv();
        foreach (var (key, value) in environment) policy.Env($"{key}={value}");
        var result = await Sandbox.RunAsync(policy.Build(), [DotnetPrograms.Host, .. BuildArguments("build", "app.csproj")], TimeSpan.FromMinutes(10));

        Assert.True(result.ExitCode == 0, $"{result.Status}\n{result.StandardOutputText}\n{result.StandardErrorText}");
        Assert.Equal(BranchAction.Commit, result.ChangesAction);
        Assert.Equal(bare, WorkspaceTests.Snapshot(project));
        Assert.Empty(Directory.EnumerateFileSystemEntries(storage));
    }

    /// <summary>A home, a temp folder and a NuGet folder of the test's own, and no build servers: both builds alike, nothing left running.</summary>
    private Dictionary<string, string> BuildEnvironment() => new()
    {
        ["HOME"] = _root.Mkdir("home"),
        ["DOTNET_CLI_HOME"] = _root["home"],
        ["NUGET_PACKAGES"] = _root.Mkdir("home/packages"),
        ["TMPDIR"] = _root.Mkdir("tmp"),
        ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
        ["LANG"] = "C.UTF-8",
        ["USER"] = Environment.UserName,
        ["TERM"] = "dumb",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        ["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false",
        // No workload update check over HTTPS: the bare build would reach the network, the sandboxed one is refused.
        ["DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE"] = "1",
    };

    private static string[] BuildArguments(string verb, string project) =>
        [verb, project, "-nr:false", "-p:UseSharedCompilation=false", "--disable-build-servers", .. verb == "build" ? new[] { "-c", "Release", "--no-restore" } : []];

    private static int RunBare(string directory, IReadOnlyDictionary<string, string> environment, string verb, string project)
    {
        var info = new ProcessStartInfo(DotnetPrograms.Host) { WorkingDirectory = directory, UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in BuildArguments(verb, project)) info.ArgumentList.Add(argument);
        // Only these variables, as in the sandbox: the outer test run's MSBuild and test-host ones would steer the build.
        info.Environment.Clear();
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"dotnet {verb} (bare) failed:\n{output}");
        return process.ExitCode;
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories).Prepend(from))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
