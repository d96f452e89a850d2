using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

/// <summary>/proc, when the policy lets the sandbox read it, shows only the sandbox's own processes.</summary>
public sealed class ProcViewTests : IDisposable
{
    private readonly TempDir _tmp = new();
    private static readonly int Host = Environment.ProcessId;

    public void Dispose() => _tmp.Dispose();

    private static SandboxPolicyBuilder WithProc() => SystemOnly().FsRead("/proc");

    [Fact]
    public async Task Listing_proc_shows_the_sandbox_processes_and_not_the_host()
    {
        var result = await Sh(WithProc(), "echo $$; ls /proc");
        AssertSucceeded(result);
        var lines = result.StandardOutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var pids = lines.Skip(1).Where(l => l.All(char.IsAsciiDigit)).ToList();
        Assert.Contains(lines[0], pids);
        Assert.DoesNotContain(Host.ToString(), pids);
        Assert.DoesNotContain("1", pids);
        Assert.Contains("cpuinfo", lines);
        Assert.Contains("self", lines);
    }

    /// <summary>By absolute paths, and by relative ones from a working directory in /proc (read once for all the
    /// handlers of a held open: the view must still see where it lands).</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_host_process_cannot_be_read_and_the_denial_is_recorded_while_self_can(bool relative)
    {
        var script = relative
            ? $"cd /proc/self && head -1 status && cd /proc && cat {Host}/cmdline"
            : $"head -1 /proc/self/status; cat /proc/{Host}/cmdline";
        var result = await Sh(WithProc(), script);
        Assert.NotEqual(0, result.ExitCode);
        Assert.StartsWith("Name:", result.StandardOutputText);
        Assert.Contains("No such file or directory", result.StandardErrorText);
        Assert.Contains(result.Denials, d => d.Target == $"/proc/{Host}/cmdline" && d.Rule.Contains("not a process of this sandbox"));
    }

    /// <summary>
    /// /proc/self and /proc/thread-self name the caller's own process and thread: for the first process's main thread
    /// and a thread it starts (looked up through the first process), and for a process it starts (looked up on its own).
    /// </summary>
    [Fact]
    public async Task Self_and_thread_self_are_the_callers_own_in_every_process_and_thread()
    {
        var first = await Run(DotnetPrograms.Policy(), DotnetPrograms.Command("self"));
        AssertSucceeded(first);
        var lines = first.StandardOutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToArray();
        var pid = lines[0][1];
        Assert.Equal(["main", pid, pid, pid], lines[1]);
        Assert.Equal(["thread", pid, pid], lines[2][..3]);
        Assert.NotEqual(pid, lines[2][3]);

        // The inner shell execs grep, so that its pid is the one the process it starts reads itself as.
        var started = await Sh(WithProc(), "echo $$; sh -c 'echo $$; exec grep -E \"^(Tgid|Pid):\" /proc/self/status /proc/thread-self/status'");
        AssertSucceeded(started);
        var seen = started.StandardOutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var inner = seen[1];
        Assert.NotEqual(seen[0], inner);
        Assert.Equal([$"/proc/self/status:Tgid:\t{inner}", $"/proc/self/status:Pid:\t{inner}",
            $"/proc/thread-self/status:Tgid:\t{inner}", $"/proc/thread-self/status:Pid:\t{inner}"], seen[2..]);
    }

    [Fact]
    public async Task Ps_sees_only_the_sandbox()
    {
        if (!File.Exists("/usr/bin/ps") && !File.Exists("/bin/ps")) return;
        var result = await Run(WithProc(), "ps", "-e", "-o", "pid=");
        AssertSucceeded(result);
        var pids = result.StandardOutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Trim()).ToList();
        Assert.InRange(pids.Count, 1, 3);
        Assert.DoesNotContain(Host.ToString(), pids);
    }

    [Fact]
    public async Task Magic_links_of_the_sandbox_still_work()
    {
        var result = await Sh(WithProc(), "echo piped | cat /proc/self/fd/0; readlink /proc/self/exe; ls /proc/self/fd | head -1");
        AssertSucceeded(result);
        Assert.StartsWith("piped\n/usr/bin/readlink\n0\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Escapes_through_a_symlink_a_dirfd_or_a_magic_link_fail()
    {
        var link = Path.Combine(_tmp.Path, "link");
        File.CreateSymbolicLink(link, "/proc");
        var viaSymlink = await Run(WithProc().FsRead(_tmp.Path), "cat", $"{link}/{Host}/cmdline");
        AssertDenied(viaSymlink);

        if (File.Exists("/usr/bin/python3"))
        {
            var script = $"import os\nfd = os.open('/proc', os.O_RDONLY)\ntry:\n    os.open('{Host}/cmdline', os.O_RDONLY, dir_fd=fd)\n    print('opened')\nexcept OSError as e:\n    print(e.strerror)";
            var viaDirFd = await Run(WithProc(), "/usr/bin/python3", "-c", script);
            Assert.DoesNotContain("opened", viaDirFd.StandardOutputText);
        }

        // /proc/self/root leads to / itself: the kernel opens it, so Landlock still refuses what the policy does not allow.
        File.WriteAllText(Path.Combine(_tmp.Path, "secret"), "secret");
        var viaRoot = await Run(WithProc(), "cat", $"/proc/self/root{_tmp.Path}/secret");
        AssertDenied(viaRoot);
        Assert.DoesNotContain("secret", viaRoot.StandardOutputText);
    }

    [Fact]
    public async Task Writes_under_proc_are_refused_unless_proc_is_writable_but_naming_own_threads_works()
    {
        var result = await Sh(WithProc(), "echo renamed > /proc/$$/comm && cat /proc/$$/comm && echo 0 > /proc/self/oom_score_adj");
        AssertDenied(result);
        Assert.StartsWith("renamed\n", result.StandardOutputText);
        Assert.Contains(result.Denials, d => d.Target.EndsWith("/oom_score_adj") && d.Rule == "/proc is not writable");
    }

    [Fact]
    public async Task Without_proc_in_the_policy_proc_is_not_readable_at_all()
    {
        var result = await Run(SystemOnly(), "ls", "/proc");
        AssertDenied(result);
    }

    [Fact]
    public async Task A_dotnet_program_runs_under_the_view()
    {
        var result = await Run(DotnetPrograms.Policy(), DotnetPrograms.Command("list", "/proc"));
        AssertSucceeded(result);
        Assert.DoesNotContain(Host.ToString() + "\n", result.StandardOutputText);
        Assert.Contains("self\n", result.StandardOutputText);
    }
}
