using System.Diagnostics;

namespace Sandlock.Tests.TestSupport;

/// <summary>Builds a C source that ships beside the tests with the system's gcc, into a folder sandboxes may read.</summary>
public static class CPrograms
{
    /// <summary>
    /// Compiles <paramref name="source"/> (relative to the test output folder) to <paramref name="output"/>, with
    /// <paramref name="flags"/> after the defaults.
    /// </summary>
    public static string Build(string source, string output, bool isStatic = false, params string[] flags)
    {
        var info = new ProcessStartInfo("gcc") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-O", "-Wall", "-Werror", .. isStatic ? ["-static"] : Array.Empty<string>(), .. flags, "-o", output, Path.Combine(AppContext.BaseDirectory, source)])
            info.ArgumentList.Add(a);
        using var gcc = Process.Start(info)!;
        var errors = gcc.StandardError.ReadToEnd();
        gcc.WaitForExit();
        if (gcc.ExitCode != 0) throw new InvalidOperationException($"gcc failed for {source}: {errors}");
        File.SetUnixFileMode(output, (UnixFileMode)0b111_101_101);
        return output;
    }
}
