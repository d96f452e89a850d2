using System.Diagnostics;

namespace Sandlock.Tests.TestSupport;

/// <summary>
/// The smallest root a command can run in: dash as /bin/sh and /bin/dash (and any programs asked for) with the
/// libraries ldd names, laid out like a distribution (/lib64 a symlink to /usr/lib64), an /etc/hostname of its own and
/// a world-writable /out. Readable by every user, so unprivileged runs can use it too.
/// </summary>
public sealed class MinimalRootfs : IDisposable
{
    public const string Hostname = "inside-the-chroot\n";

    /// <param name="programs">More host programs (such as <c>cat</c>) to put in /bin, with their libraries.</param>
    public MinimalRootfs(params string[] programs)
    {
        Path = Directory.CreateTempSubdirectory("sandlock-rootfs-").FullName;
        var dash = HostProgram("dash");
        Copy(dash, "/bin/sh");
        Copy(dash, "/bin/dash");
        var hostPrograms = programs.Select(HostProgram).ToList();
        foreach (var (program, name) in hostPrograms.Zip(programs)) Copy(program, "/bin/" + name);
        foreach (var library in hostPrograms.Prepend(dash).SelectMany(Libraries).Distinct(StringComparer.Ordinal))
            Copy(library, library.StartsWith("/lib64/", StringComparison.Ordinal) ? "/usr" + library : library);
        Directory.CreateDirectory(Host("/etc"));
        File.WriteAllText(Host("/etc/hostname"), Hostname);
        Directory.CreateDirectory(Host("/out"));
        foreach (var dir in Directory.EnumerateDirectories(Path, "*", SearchOption.AllDirectories).Append(Path))
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(Host("/out"), (UnixFileMode)0b111_111_111);
        // Last: a chmod through it would reach the host's /usr/lib64.
        File.CreateSymbolicLink(Host("/lib64"), "/usr/lib64");
    }

    public string Path { get; }

    /// <summary>The host path of a path inside the root.</summary>
    public string Host(string inside) => Path + inside;

    private static string HostProgram(string name) =>
        File.Exists("/usr/bin/" + name) ? "/usr/bin/" + name : "/bin/" + name;

    private void Copy(string from, string inside)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Host(inside))!);
        File.Copy(from, Host(inside));
        File.SetUnixFileMode(Host(inside), (UnixFileMode)0b111_101_101);
    }

    /// <summary>The absolute library paths ldd lists (libc and the loader), as the program will look them up.</summary>
    private static IEnumerable<string> Libraries(string program)
    {
        var info = new ProcessStartInfo("ldd", [program]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var ldd = Process.Start(info)!;
        var output = ldd.StandardOutput.ReadToEnd();
        ldd.WaitForExit();
        foreach (var line in output.Split('\n'))
        {
            var words = line.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
            var path = words.Length >= 3 && words[1] == "=>" ? words[2] : words.Length >= 1 ? words[0] : "";
            if (path.StartsWith('/')) yield return path;
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
