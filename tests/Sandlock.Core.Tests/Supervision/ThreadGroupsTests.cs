using Sandlock.Supervision.Processes;

namespace Sandlock.Tests.Supervision;

/// <summary>The process a thread belongs to, remembered between held calls and read anew once the thread is gone.</summary>
public sealed class ThreadGroupsTests
{
    [Fact]
    public void A_thread_belongs_to_its_process_each_time_it_is_asked()
    {
        var thread = Directory.EnumerateDirectories($"/proc/{Environment.ProcessId}/task").Select(d => int.Parse(Path.GetFileName(d)))
            .First(tid => tid != Environment.ProcessId);

        Assert.Equal(Environment.ProcessId, ThreadGroups.Of(thread));
        Assert.Equal(Environment.ProcessId, ThreadGroups.Of(thread));
        Assert.Equal(Environment.ProcessId, ThreadGroups.Of(Environment.ProcessId));
    }

    [Fact]
    public void A_process_that_ended_has_no_group_though_it_was_remembered()
    {
        using var child = System.Diagnostics.Process.Start("/bin/sleep", "30");
        Assert.Equal(child.Id, ThreadGroups.Of(child.Id));

        child.Kill();
        child.WaitForExit();

        Assert.Null(ThreadGroups.Of(child.Id));
    }
}
