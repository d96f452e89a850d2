using System.Diagnostics;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Bench;

/// <summary>
/// Syscall-heavy workloads against bare runs: `find /usr` (hundreds of thousands of getdents64/newfstatat) in a
/// sandbox and with the supervisor attached (a host rule: nothing it holds is on this path), and a 10,000-entry
/// directory listing with and without deterministic_dirs (every getdents64 answered by the supervisor), and a tree
/// walked through an fs_mount (every path syscall under it answered by the supervisor). find also runs
/// bare under an allow-all one-instruction filter: what any seccomp filter costs on this kernel.
/// </summary>
internal static class WorkloadBenchmark
{
    public static async Task RunAsync(int rounds)
    {
        var confined = new SandboxPolicyBuilder().FsRead("/usr").FsRead("/lib").FsRead("/bin").Build();
        var supervised = confined.ToBuilder().NetAllow("127.0.0.1:9").Build();
        var floorFolder = Directory.CreateTempSubdirectory("sandlock-bench-filter-").FullName;
        var filterFloor = NativePrograms.Build("allow_all_filter.c", floorFolder);
        try
        {
            // Names go to /dev/null from find itself, so no variant pays for moving 7 MB through a pipe.
            await CompareAsync("find /usr -xdev -fprint /dev/null", ["find", "/usr", "-xdev", "-fprint", "/dev/null"], rounds, filterFloor,
                ("sandbox, default deny list and Landlock", confined),
                ("sandbox, Landlock only", confined.ToBuilder().Disable("seccomp").Build()),
                ("sandbox, deny list only", confined.ToBuilder().Disable("landlock").Build()),
                ("sandbox with the supervisor attached", supervised));
            // The same names through a pipe into memory (the bare run reads its pipe and drops the bytes).
            await CompareAsync("find /usr -xdev, 7 MB of names captured", ["find", "/usr", "-xdev"], rounds, null,
                ("sandbox, stdout captured", confined));
        }
        finally
        {
            Directory.Delete(floorFolder, true);
        }

        // Compiling a C file: hundreds of opens by path, which the /proc view holds when the policy lets the sandbox
        // read /proc (here through -r /).
        var source = Path.Combine(Path.GetTempPath(), "sandlock-bench-compile.c");
        await File.WriteAllTextAsync(source, "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <math.h>\n#include <pthread.h>\nint main(void) { printf(\"%f\\n\", sqrt(2.0)); return 0; }\n");
        try
        {
            string[] compile = ["gcc", "-pipe", "-O1", "-c", source, "-o", "/dev/null"];
            await CompareAsync("gcc -c of a small C file", compile, rounds * 2, null,
                ("sandbox, system paths only (no /proc view)", confined.ToBuilder().FsRead(source).Build()),
                ("sandbox, -r / (the /proc view holds every open by path)", new SandboxPolicyBuilder().FsRead("/").Build()),
                ("sandbox, /usr/include a mount of itself", confined.ToBuilder().FsRead(source).FsMount("/usr/include:/usr/include:ro").Build()));
        }
        finally
        {
            File.Delete(source);
        }

        // A tree walked through a mount: every openat, newfstatat and getdents64 under it is a supervisor round trip.
        string[] walk = ["find", "/usr/include", "-fprint", "/dev/null"];
        await CompareAsync("find /usr/include -fprint /dev/null (fs_mount)", walk, rounds, null,
            ("sandbox", confined),
            ("sandbox, /usr/include a mount of itself", confined.ToBuilder().FsMount("/usr/include:/usr/include:ro").Build()));

        // getrandom in a loop, the random_seed case (every call answered by the supervisor).
        if (File.Exists("/usr/bin/python3"))
        {
            string[] draws = ["/usr/bin/python3", "-c", "import os\nfor _ in range(20000): os.getrandom(16)"];
            var python = confined.ToBuilder().FsRead("/etc").Build();
            await CompareAsync("20,000 getrandom calls (python3)", draws, rounds, null,
                ("sandbox", python),
                ("sandbox with --random-seed", python.ToBuilder().RandomSeed(1).Build()));
        }

        // Listing a 10,000-entry directory, the deterministic_dirs case.
        var folder = Directory.CreateTempSubdirectory("sandlock-bench-dir-").FullName;
        try
        {
            for (var i = 0; i < 10_000; i++) File.WriteAllBytes(Path.Combine(folder, $"f{(i * 7919) % 10_000}"), []);
            var reading = confined.ToBuilder().FsRead(folder).Build();
            await CompareAsync("ls -f on a 10,000-entry directory", ["ls", "-f", folder], rounds * 5, null,
                ("sandbox", reading),
                ("sandbox with --deterministic-dirs (sorted)", reading.ToBuilder().DeterministicDirs().Build()));
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    /// <param name="filterFloor">The allow-all filter launcher: when given, the command also runs bare under it.</param>
    private static async Task CompareAsync(string title, string[] command, int rounds, string? filterFloor, params (string Name, SandboxPolicy Policy)[] sandboxes)
    {
        static async Task Bare(string[] command)
        {
            var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in command[1..]) info.ArgumentList.Add(a);
            using var p = Process.Start(info)!;
            await p.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
            await p.WaitForExitAsync();
        }
        var variants = new (string Name, Func<Task> Run)[] { ("bare (Process.Start)", () => Bare(command)) };
        if (filterFloor is not null)
            variants = [.. variants, ("bare under a one-instruction allow-all seccomp filter", () => Bare([filterFloor, .. command]))];
        variants = [.. variants, .. sandboxes.Select(s => (s.Name, (Func<Task>)(() => Sandbox.RunAsync(s.Policy, command))))];
        var samples = variants.Select(_ => new List<double>()).ToArray();
        var shuffle = new Random(7);
        for (var round = 0; round < rounds + 2; round++)
        {
            foreach (var i in Enumerable.Range(0, variants.Length).OrderBy(_ => shuffle.Next()))
            {
                var clock = Stopwatch.StartNew();
                await variants[i].Run();
                if (round >= 2) samples[i].Add(clock.Elapsed.TotalMilliseconds);
            }
        }
        static double Median(List<double> xs) { xs.Sort(); return xs[xs.Count / 2]; }
        var bare = Median(samples[0]);
        Console.WriteLine($"{title}, median of {rounds} rounds");
        for (var i = 0; i < variants.Length; i++)
            Console.WriteLine($"  {variants[i].Name,-44} {Median(samples[i]),8:F0} ms   ratio {Median(samples[i]) / bare:F2}");
    }
}
