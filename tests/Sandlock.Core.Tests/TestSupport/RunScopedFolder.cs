using System.Diagnostics;

namespace Sandlock.Tests.TestSupport;

/// <summary>
/// A temp folder that lives as long as this test run's process. A ProcessExit handler is not enough: vstest gives
/// a finished test host about 100 ms before it kills it, too little to delete a packed feed and its restored
/// packages, so a detached janitor (its own session, outside the host's process tree) removes the folder once the
/// host is gone, however it ended.
/// </summary>
public static class RunScopedFolder
{
    public static string Create(string prefix)
    {
        var folder = Directory.CreateTempSubdirectory(prefix).FullName;
        var janitor = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "-f", "/bin/sh", "-c", "while kill -0 \"$1\" 2>/dev/null; do sleep 1; done; rm -rf -- \"$2\"",
                     "janitor", Environment.ProcessId.ToString(), folder })
            janitor.ArgumentList.Add(argument);
        using var started = Process.Start(janitor)!;
        started.WaitForExit();
        return folder;
    }
}
