using System.Diagnostics;
using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Determinism;

/// <summary>
/// time_start: every way of reading the realtime clock (libc through the vDSO, the vDSO called directly, the raw
/// syscalls, static binaries, programs started by a shell inside the sandbox) sees the virtual clock; the monotonic
/// clock stays the host's; absolute sleeps and timers on the virtual clock wake.
/// </summary>
public sealed class TimeStartTests : IClassFixture<TimeStartTests.Programs>
{
    private static readonly DateTimeOffset Y2K = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const long NanosecondsPerSecond = 1_000_000_000;
    private static readonly long Y2KNanoseconds = (Y2K - DateTimeOffset.UnixEpoch).Ticks * 100;

    /// <summary>clocks.c built dynamically and statically, in a folder the sandboxes may read.</summary>
    public sealed class Programs : IDisposable
    {
        private readonly TempDir _dir = new();

        public Programs()
        {
            Dynamic = CPrograms.Build("Determinism/clocks.c", _dir["clocks"]);
            Static = CPrograms.Build("Determinism/clocks.c", _dir["clocks-static"], isStatic: true);
        }

        public string Folder => _dir.Path;
        public string Dynamic { get; }
        public string Static { get; }

        public void Dispose() => _dir.Dispose();
    }

    private readonly Programs _programs;

    public TimeStartTests(Programs programs) => _programs = programs;

    private SandboxPolicyBuilder Policy(DateTimeOffset? start = null)
    {
        var builder = DotnetPrograms.Policy().FsRead(_programs.Folder);
        return start is { } s ? builder.TimeStart(s) : builder.TimeStart(Y2K);
    }

    private static async Task<string> Output(SandboxPolicyBuilder policy, params string[] command)
    {
        var result = await Run(policy, command);
        Assert.False(result.Status.TimedOut, "timed out");
        AssertSucceeded(result);
        Assert.Empty(result.Denials);
        return result.StandardOutputText;
    }

    private static Dictionary<string, long> Readings(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).ToDictionary(f => f[0], f => long.Parse(f[1]));

    /// <summary>Within the first minute after 2000-01-01: virtual, not the host's 20xx.</summary>
    private static void AssertNearY2K(long nanoseconds, string what) =>
        Assert.True(nanoseconds >= Y2KNanoseconds && nanoseconds < Y2KNanoseconds + 60 * NanosecondsPerSecond,
            $"{what} reads {DateTimeOffset.UnixEpoch.AddTicks(nanoseconds / 100):O}, not just after 2000-01-01");

    [Fact]
    public async Task Date_prints_the_virtual_year()
    {
        Assert.Equal("2000\n", await Output(Policy(), "date", "+%Y"));
    }

    [Fact]
    public async Task A_program_started_by_a_shell_inside_the_sandbox_sees_the_virtual_clock()
    {
        Assert.Equal("2000\n2000\n", await Output(Policy(), "/bin/sh", "-c", "date +%Y; /bin/sh -c 'date -u +%Y'"));
    }

    [Fact]
    public async Task A_dotnet_program_sees_the_virtual_clock_in_DateTime_UtcNow()
    {
        var lines = (await Output(Policy(), DotnetPrograms.Command("time"))).Split('\n');
        Assert.Equal("2000", lines[0]);
        Assert.StartsWith("2000-01-01T00:0", lines[1]);
    }

    [Fact]
    public async Task Python_sees_the_virtual_clock()
    {
        if (!File.Exists("/usr/bin/python3")) return;
        var output = await Output(Policy(), "/usr/bin/python3", "-c", "import time, datetime; print(time.gmtime().tm_year, datetime.datetime.now().year, int(time.time()))");
        var fields = output.Split(' ');
        Assert.Equal("2000", fields[0]);
        Assert.Equal("2000", fields[1]);
        AssertNearY2K(long.Parse(fields[2]) * NanosecondsPerSecond, "time.time()");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_way_of_reading_the_realtime_clock_is_virtual_in_dynamic_and_static_binaries(bool isStatic)
    {
        var readings = Readings(await Output(Policy(), isStatic ? _programs.Static : _programs.Dynamic, "read"));
        foreach (var way in new[] { "realtime", "tai", "gettimeofday", "time", "raw_clock_gettime", "raw_gettimeofday", "raw_time", "vdso_clock_gettime", "realtime_again" })
            AssertNearY2K(readings[way], way);
        // The coarse clock lags by up to a tick, which may put it a little before the start.
        Assert.InRange(readings["realtime_coarse"], Y2KNanoseconds - NanosecondsPerSecond, Y2KNanoseconds + 60 * NanosecondsPerSecond);
    }

    [Fact]
    public async Task The_virtual_clock_advances()
    {
        var readings = Readings(await Output(Policy(), _programs.Dynamic, "read"));
        Assert.True(readings["realtime_again"] > readings["realtime"], $"{readings["realtime_again"]} after {readings["realtime"]}");
    }

    [Fact]
    public async Task The_monotonic_clock_is_the_hosts()
    {
        var before = Stopwatch.GetTimestamp();
        var readings = Readings(await Output(Policy(), _programs.Dynamic, "read"));
        var after = Stopwatch.GetTimestamp();
        // Stopwatch counts CLOCK_MONOTONIC nanoseconds on Linux.
        Assert.Equal(NanosecondsPerSecond, Stopwatch.Frequency);
        Assert.InRange(readings["monotonic"], before, after);
    }

    [Fact]
    public async Task Another_start_gives_another_clock()
    {
        var readings = Readings(await Output(Policy(new DateTimeOffset(2150, 6, 1, 12, 0, 0, TimeSpan.Zero)), _programs.Static, "read"));
        Assert.Equal(2150, DateTimeOffset.UnixEpoch.AddTicks(readings["realtime"] / 100).Year);
        Assert.Equal(2150, DateTimeOffset.UnixEpoch.AddTicks(readings["raw_time"] / 100).Year);
    }

    [Theory]
    [InlineData("sleep")]
    [InlineData("timerfd")]
    public async Task An_absolute_deadline_on_the_virtual_clock_wakes(string mode)
    {
        var fields = (await Output(Policy(), _programs.Dynamic, mode)).Trim().Split(' ');
        // "slept RC deadline D now N" / "fired RC COUNT deadline D now N"
        Assert.Equal("0", fields[1]);
        if (mode == "timerfd") Assert.Equal("1", fields[2]);
        var deadline = long.Parse(fields[^3]);
        var now = long.Parse(fields[^1]);
        AssertNearY2K(deadline, "the deadline");
        Assert.True(now >= deadline, $"woke at {now}, before the deadline {deadline}");
    }

    [Fact]
    public async Task Without_time_start_the_clock_is_the_hosts()
    {
        var readings = Readings(await Output(DotnetPrograms.Policy().FsRead(_programs.Folder), _programs.Dynamic, "read"));
        Assert.True(DateTimeOffset.UnixEpoch.AddTicks(readings["realtime"] / 100).Year >= 2024);
    }

    [Fact]
    public async Task With_random_seed_the_vdso_getrandom_cannot_bypass_the_seeded_syscall()
    {
        var unpatched = await Output(DotnetPrograms.Policy().FsRead(_programs.Folder), _programs.Static, "vdso-getrandom");
        // Kernels before 6.11 have no vDSO getrandom: nothing can bypass the syscall there.
        if (unpatched == "none\n") return;
        Assert.StartsWith("probe 0\n", unpatched);

        var seeded = DotnetPrograms.Policy().FsRead(_programs.Folder).RandomSeed(11);
        var first = await Output(seeded, _programs.Static, "vdso-getrandom");
        // libc's probe is refused, so libc falls back to the getrandom syscall, which the seed answers.
        Assert.StartsWith("probe -38\nread 16 ", first);
        Assert.Equal(first, await Output(seeded, _programs.Dynamic, "vdso-getrandom"));
        Assert.NotEqual(first, await Output(DotnetPrograms.Policy().FsRead(_programs.Folder).RandomSeed(12), _programs.Static, "vdso-getrandom"));
    }
}
