using Sandlock.Supervision;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

/// <summary>What the supervisor reads of a process from /proc/PID/status: read against what the process knows of itself.</summary>
public sealed class ProcessStatusTests
{
    [Fact]
    public void A_process_reads_as_its_own_group_with_its_parent_mask_and_capabilities()
    {
        var status = ProcessStatus.Read(Environment.ProcessId);

        Assert.NotNull(status);
        Assert.Equal(Environment.ProcessId, status.ThreadGroup);
        var fields = File.ReadAllLines($"/proc/{Environment.ProcessId}/status").Select(l => l.Split(':', 2)).ToDictionary(p => p[0], p => p[1].Trim());
        Assert.Equal(int.Parse(fields["PPid"]), status.Parent);
        Assert.Equal(Convert.ToUInt32(fields["Umask"], 8), status.Umask);
        Assert.Equal(Convert.ToUInt64(fields["CapEff"], 16), status.EffectiveCapabilities);
        Assert.Equal(fields["Seccomp"] == "2", status.SeccompFiltered);
    }

    [Fact]
    public void A_thread_reads_as_a_member_of_its_process()
    {
        // A .NET process always has threads besides its main one (the finalizer's at least).
        var thread = Directory.EnumerateDirectories($"/proc/{Environment.ProcessId}/task").Select(d => int.Parse(Path.GetFileName(d)))
            .First(tid => tid != Environment.ProcessId);

        Assert.Equal(Environment.ProcessId, ProcessStatus.Read(thread)?.ThreadGroup);
    }

    [Fact]
    public async Task A_sandboxed_process_reads_as_under_a_seccomp_filter()
    {
        await using var sandbox = new Sandbox(SystemOnly().Build(), ["/bin/sleep", "30"]);
        sandbox.Start();
        var status = ProcessStatus.Read(sandbox.Pid!.Value);
        sandbox.Kill();

        Assert.NotNull(status);
        Assert.True(status.SeccompFiltered);
        Assert.Equal(sandbox.Pid, status.ThreadGroup);
        Assert.False(ProcessStatus.Read(Environment.ProcessId)!.SeccompFiltered);
    }

    [Fact]
    public void A_process_that_is_gone_reads_as_nothing() =>
        Assert.Null(ProcessStatus.Read(int.MaxValue));
}
