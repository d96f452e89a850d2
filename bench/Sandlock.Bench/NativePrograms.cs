using System.Diagnostics;

namespace Sandlock.Bench;

/// <summary>The C programs in native/, built with the machine's cc, and runs of plain programs outside any sandbox.</summary>
internal static class NativePrograms
{
    /// <summary>Compiles native/<paramref name="source"/> into <paramref name="folder"/>; returns the program's path.</summary>
    public static string Build(string source, string folder, IEnumerable<string>? flags = null)
    {
        var output = Path.Combine(folder, Path.GetFileNameWithoutExtension(source));
        Run("cc", ["-O2", "-o", output, Path.Combine(AppContext.BaseDirectory, "native", source), .. flags ?? []]);
        return output;
    }

    /// <summary>Runs <paramref name="program"/> to its end and returns its trimmed stdout; throws unless it exits 0.</summary>
    public static string Run(string program, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) info.Environment[k] = v;
        using var p = Process.Start(info)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{program} exited with {p.ExitCode}");
        return text.Trim();
    }
}
