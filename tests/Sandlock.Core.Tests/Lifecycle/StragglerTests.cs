using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Lifecycle;

/// <summary>
/// Processes that leave the sandbox's process group (setsid, setpgid) and lose their parent are out of reach of the
/// group kill and of the walk through /proc's child links; a supervised sandbox still ends them.
/// </summary>
public sealed class StragglerTests(StragglerTests.Program program) : IClassFixture<StragglerTests.Program>
{
    /// <summary>groups.c, in a folder the sandboxes may read.</summary>
    public sealed class Program : IDisposable
    {
        private readonly TempDir _dir = new();

        public Program() => Path = CPrograms.Build("Lifecycle/groups.c", _dir["groups"]);

        public string Path { get; }

        public SandboxPolicy Supervised => SystemOnly().FsRead(_dir.Path).DeterministicDirs().Build();

        public void Dispose() => _dir.Dispose();
    }

    private static string NewMarker() => $"41.{Random.Shared.Next(100_000, 999_999)}";

    private static IEnumerable<int> Running(string marker) => Directory.EnumerateDirectories("/proc")
        .Where(d =>
        {
            try { return File.ReadAllText(System.IO.Path.Combine(d, "cmdline")) == $"sleep\0{marker}\0"; }
            catch (IOException) { return false; }
        })
        .Select(d => int.Parse(System.IO.Path.GetFileName(d)));

    private static void AssertNoneLeft(string marker)
    {
        var gone = SpinWait.SpinUntil(() => !Running(marker).Any(), TimeSpan.FromSeconds(30));
        foreach (var pid in Running(marker)) System.Diagnostics.Process.GetProcessById(pid).Kill();
        Assert.True(gone, $"a 'sleep {marker}' outlived its sandbox");
    }

    [Fact]
    public async Task An_orphan_in_a_session_of_its_own_ends_with_the_sandbox()
    {
        var marker = NewMarker();
        // Any supervised feature brings the tracking; deterministic_dirs costs nothing here.
        var result = await Sh(SystemOnly().DeterministicDirs(), $"setsid sh -c 'sleep {marker}' & sleep 0.3; echo started");
        AssertSucceeded(result);
        AssertNoneLeft(marker);
    }

    [Theory]
    [InlineData("daemon", "daemon started")]     // fork, setsid, fork: the classic daemon
    [InlineData("newgroup", "group started")]    // a group of its own in the same session, then an orphan in it
    public async Task An_orphan_that_left_the_group_ends_with_the_sandbox(string way, string started)
    {
        var marker = NewMarker();
        var result = await Run(program.Supervised, program.Path, way, marker);
        AssertSucceeded(result);
        Assert.Equal(started, result.StandardOutputText.Trim());
        AssertNoneLeft(marker);
    }

    [Fact]
    public async Task Joining_a_process_group_of_the_host_is_refused()
    {
        // The test host's group shares the sandbox's session: the kernel alone would allow the move.
        var hostGroup = HostProcessGroup();
        var result = await Run(program.Supervised, program.Path, "join", hostGroup.ToString());
        AssertSucceeded(result);
        Assert.Equal("refused", result.StandardOutputText.Trim());
        Assert.Contains(result.Denials, d => d.Syscall == "setpgid" && d.Target == $"process group {hostGroup}");
    }

    [Fact]
    public async Task Job_control_inside_the_sandbox_still_works()
    {
        var result = await Run(program.Supervised, program.Path, "jobs");
        AssertSucceeded(result);
        Assert.Equal("groups made and joined", result.StandardOutputText.Trim());
        Assert.Empty(result.Denials);
    }

    private static int HostProcessGroup() =>
        int.Parse(File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]);
}
