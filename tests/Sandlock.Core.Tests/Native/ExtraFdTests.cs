using System.Diagnostics;
using Sandlock.Tests.TestSupport;

namespace Sandlock.Tests.Native;

/// <summary>The shim's placement of extra fds at 3, 4, ... when the sources sit on the targets themselves.</summary>
public sealed class ExtraFdTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Sources_on_each_others_targets_arrive_swapped_and_nothing_else_is_inherited()
    {
        var library = AppContext.BaseDirectory;
        var harness = CPrograms.Build("Native/extra_fds.c", _dir["extra_fds"], false,
            "-Wl,--no-as-needed", "-I", Path.Combine(library, "Native"), Path.Combine(library, "libsandlock.so"), $"-Wl,-rpath,{library}");
        var info = new ProcessStartInfo(harness) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var run = Process.Start(info)!;
        var output = run.StandardOutput.ReadToEnd();
        var errors = run.StandardError.ReadToEnd();
        run.WaitForExit();
        Assert.True(run.ExitCode == 0, $"harness exited {run.ExitCode}: {errors}");
        var lines = output.Split('\n');
        Assert.Equal(["from our fd 4", "from our fd 3"], lines[..2]);
        // 0-2, the two placed fds and ls's own directory fd: the copies made while placing them were close-on-exec.
        Assert.Equal("0 1 2 3 4 5 ", lines[2]);
    }
}
