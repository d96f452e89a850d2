using System.Diagnostics;

namespace Sandlock.Testing.Tests.Support;

/// <summary>
/// Lays out a root a .NET process can run in: the dotnet host, hostfxr and the shared Microsoft.NETCore.App runtime
/// at their host paths with the libraries they link, a world-writable /tmp, an empty /proc to mount procfs on, and
/// any folders asked for at their host paths. Files are hard links where the kernel allows them (one filesystem, and
/// an owner or root making them), else copies; a link shares the host file, so nothing here writes to or chmods one.
/// </summary>
public static class DotnetRootfs
{
    public static void Create(string root, IEnumerable<string> folders)
    {
        var dotnetRoot = Sandlock.Testing.Policy.SystemReadPaths.DotnetRoot;
        var runtimes = Path.Combine(dotnetRoot, "shared", "Microsoft.NETCore.App");
        AddFile(root, Path.Combine(dotnetRoot, "dotnet"));
        AddTree(root, Path.Combine(dotnetRoot, "host", "fxr"));
        AddTree(root, runtimes);
        foreach (var folder in folders) AddTree(root, folder);
        var binaries = Directory.EnumerateFiles(runtimes, "*.so", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(Path.Combine(dotnetRoot, "host", "fxr"), "*.so", SearchOption.AllDirectories))
            .Append(Path.Combine(dotnetRoot, "dotnet"));
        foreach (var library in binaries.SelectMany(Libraries).Distinct(StringComparer.Ordinal)) AddFile(root, library);
        Directory.CreateDirectory(root + "/proc");
        Directory.CreateDirectory(root + "/tmp");
        File.SetUnixFileMode(root + "/tmp", (UnixFileMode)0b1_111_111_111);
    }

    /// <summary>A host file at its own path inside the root, its symlinks followed.</summary>
    public static void AddFile(string root, string hostFile)
    {
        var target = root + hostFile;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (Run("cp", "-lL", hostFile, target) != 0 && Run("cp", "-L", "--preserve=mode", hostFile, target) != 0)
            throw new InvalidOperationException($"could not put {hostFile} into {root}");
    }

    private static void AddTree(string root, string hostFolder)
    {
        var target = root + hostFolder;
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        if (Run("cp", "-al", hostFolder, target) == 0) return;
        Directory.Delete(target, recursive: true);
        if (Run("cp", "-a", hostFolder, target) != 0) throw new InvalidOperationException($"could not put {hostFolder} into {root}");
    }

    /// <summary>The absolute library paths ldd lists for a program or library.</summary>
    private static IEnumerable<string> Libraries(string binary)
    {
        var info = new ProcessStartInfo("ldd", [binary]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var ldd = Process.Start(info)!;
        var output = ldd.StandardOutput.ReadToEnd();
        ldd.StandardError.ReadToEnd();
        ldd.WaitForExit();
        foreach (var line in output.Split('\n'))
        {
            // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
            var words = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var path = words.Length >= 3 && words[1] == "=>" ? words[2] : words.Length >= 1 ? words[0] : "";
            if (path.StartsWith('/')) yield return path;
        }
    }

    private static int Run(string program, params string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments) { RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode;
    }
}
