using System.Diagnostics;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Bench;

/// <summary>
/// <c>dotnet build</c> of a small console project, bare against the same build in a sandbox with the project folder
/// writable and against it in a copy-on-write workdir (committed at the end, which the time includes): each round
/// builds every variant once, in shuffled order, from the same restored tree at the same path. Besides the wall time it
/// counts CPU time (this process's, the supervisor's included, and that of the build processes it reaped), which other
/// sessions on a shared machine disturb far less.
/// </summary>
internal static class CowBuildBenchmark
{
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

    private static readonly string DotnetRoot = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
    private static readonly string Dotnet = Path.Combine(DotnetRoot, "dotnet");

    private static readonly string[] Arguments =
        ["build", "app.csproj", "-c", "Release", "--no-restore", "-nr:false", "-p:UseSharedCompilation=false", "--disable-build-servers"];

    public static async Task RunAsync(int rounds)
    {
        var root = Directory.CreateTempSubdirectory("sandlock-bench-cow-build-").FullName;
        try
        {
            var project = Directory.CreateDirectory(Path.Combine(root, "app")).FullName;
            var restored = Path.Combine(root, "restored");
            var storage = Directory.CreateDirectory(Path.Combine(root, "storage")).FullName;
            await File.WriteAllTextAsync(Path.Combine(project, "app.csproj"), ProjectFile);
            await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), "Console.WriteLine(Greeter.For(args.Length > 0 ? args[0] : \"world\"));\n"
                + "internal static class Greeter { public static string For(string name) => $\"hello, {name}\"; }\n");
            var environment = new Dictionary<string, string>
            {
                ["HOME"] = Directory.CreateDirectory(Path.Combine(root, "home")).FullName,
                ["DOTNET_CLI_HOME"] = Path.Combine(root, "home"),
                ["NUGET_PACKAGES"] = Directory.CreateDirectory(Path.Combine(root, "home", "packages")).FullName,
                ["TMPDIR"] = Directory.CreateDirectory(Path.Combine(root, "tmp")).FullName,
                ["PATH"] = "/usr/local/bin:/usr/bin:/bin", ["LANG"] = "C.UTF-8", ["TERM"] = "dumb",
                ["DOTNET_NOLOGO"] = "1", ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
                ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0", ["DOTNET_GENERATE_ASPNET_CERTIFICATE"] = "false",
                // Else the CLI looks for workload updates over HTTPS: a bare build waits for DNS and a connection that
                // a sandbox refuses at once, which made the sandboxed builds look faster than the bare one.
                ["DOTNET_CLI_WORKLOAD_UPDATE_NOTIFY_DISABLE"] = "1",
            };
            await BareAsync(project, environment, ["restore", "app.csproj", "-nr:false"]);
            CopyTree(project, restored);

            var common = new SandboxPolicyBuilder();
            FrontDoorDefaults.AddSystem(common, ChildRoot.Of(SandboxPolicy.Default));
            common.FsRead(DotnetRoot).FsWrite(environment["HOME"]).FsWrite(environment["TMPDIR"]).Cwd(project).CleanEnv();
            foreach (var (key, value) in environment) common.Env($"{key}={value}");
            var writable = new SandboxPolicyBuilder(common.Build()).FsWrite(project).Build();
            var workdir = new SandboxPolicyBuilder(common.Build()).Workdir(project).FsStorage(storage).Build();

            var variants = new (string Name, Func<Task<double>> Run)[]
            {
                ("bare (Process.Start)", () => BareAsync(project, environment, Arguments)),
                ("sandbox, project folder writable", () => SandboxedAsync(writable)),
                ("sandbox, project folder a COW workdir (commit)", () => SandboxedAsync(workdir)),
            };
            var samples = variants.Select(_ => new List<double>()).ToArray();
            var cpuSamples = variants.Select(_ => new List<double>()).ToArray();
            var shuffle = new Random(7);
            // One round to warm the disk cache and the SDK's own first-use files, not counted.
            for (var round = 0; round <= rounds; round++)
            {
                foreach (var i in Enumerable.Range(0, variants.Length).OrderBy(_ => shuffle.Next()))
                {
                    Directory.Delete(project, recursive: true);
                    CopyTree(restored, project);
                    var cpuBefore = ProcessCpu.Milliseconds();
                    var milliseconds = await variants[i].Run();
                    var cpu = ProcessCpu.Milliseconds() - cpuBefore;
                    if (round > 0)
                    {
                        samples[i].Add(milliseconds);
                        cpuSamples[i].Add(cpu);
                    }
                    if (!File.Exists(Path.Combine(project, "bin", "Release", "net10.0", "app.dll")))
                        throw new InvalidOperationException($"{variants[i].Name}: the build left no app.dll");
                }
            }
            static double Median(List<double> xs) { xs.Sort(); return xs[xs.Count / 2]; }
            Console.WriteLine($"dotnet build of a console project (restored, --no-restore), median of {rounds} rounds");
            Print("wall", samples);
            Print("CPU", cpuSamples);

            void Print(string what, List<double>[] measured)
            {
                var bare = Median(measured[0]);
                for (var i = 0; i < variants.Length; i++)
                    Console.WriteLine($"  {what,-4} {variants[i].Name,-48} {Median(measured[i]),8:F0} ms   ratio {Median(measured[i]) / bare:F2}   (min {measured[i].Min(),6:F0}, max {measured[i].Max(),6:F0})");
                // What the workdir itself costs: the same sandbox with the folder plainly writable is the nearer peer.
                Console.WriteLine($"  {what,-4} COW workdir against the same sandbox without it                ratio {Median(measured[2]) / Median(measured[1]):F2}");
            }
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    /// <summary>Until the sandbox's result is there: the build has exited and its changes are committed.</summary>
    private static async Task<double> SandboxedAsync(SandboxPolicy policy)
    {
        var clock = Stopwatch.StartNew();
        var result = await Sandbox.RunAsync(policy, [Dotnet, .. Arguments], TimeSpan.FromMinutes(10));
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (!result.Success) throw new InvalidOperationException($"sandboxed build failed ({result.Status}):\n{result.StandardOutputText}{result.StandardErrorText}");
        return elapsed;
    }

    /// <summary>
    /// Until dotnet exits, as a sandbox's run ends, not until its output closes: an MSBuild worker node holds the pipe
    /// a few hundred ms longer (the sandbox ends it with the rest of its process group). The next build starts after.
    /// </summary>
    private static async Task<double> BareAsync(string directory, Dictionary<string, string> environment, string[] arguments)
    {
        var clock = Stopwatch.StartNew();
        var info = new ProcessStartInfo(Dotnet) { WorkingDirectory = directory, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        info.Environment.Clear();
        foreach (var (key, value) in environment) info.Environment[key] = value;
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (p.ExitCode != 0) throw new InvalidOperationException($"bare dotnet {arguments[0]} failed:\n{await output}");
        await output;
        return elapsed;
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories).Prepend(from))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
