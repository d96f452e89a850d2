using Sandlock.Lifecycle;
using Sandlock.Supervision;
using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;
using static Sandlock.Tests.TestSupport.SeededDraws;

namespace Sandlock.Tests.Determinism;

/// <summary>
/// A sandbox that runs jobs in turn starts each one itself, by opening the job-start file: the supervisor removes the
/// job before's folder, makes the job's own and restarts the seeded device with the job's seed before the open returns,
/// also the copy of the device the process kept open from before.
/// </summary>
public sealed class JobStartsTests
{
    [Fact]
    public async Task Each_job_start_serves_the_jobs_seed_in_a_fresh_folder_of_its_own_and_the_last_ones_is_gone()
    {
        using var dir = new TempDir();
        using var elsewhere = new TempDir();
        File.WriteAllText(dir["job-start"], "");
        Directory.CreateDirectory(dir["jobs"]);
        var secret = elsewhere.Write("secret", "not for the sandbox");
        var jobs = new JobStarts(dir["job-start"]);
        jobs.Queue(7, dir["jobs/1"]);
        jobs.Queue(9, dir["jobs/2"]);
        jobs.Queue(7, dir["jobs/3"]);
        // The shell keeps the device open on fd 3 from before the first job, as a .NET runtime keeps its own.
        const string DrawKept = "head -c 32 <&3 | od -An -tx1 | tr -d ' \\n'; echo";
        var script = string.Join("; ",
            "exec 3< /dev/urandom",
            $": < {dir["job-start"]}", $"echo left > {dir["jobs/1/file"]}", Draw, DrawKept,
            $": < {dir["job-start"]}", $"[ -e {dir["jobs/1"]} ] && echo 'job 1 left its folder'", $"cat {secret} 2>/dev/null", Draw, DrawKept,
            $": < {dir["job-start"]}", Draw, DrawKept,
            // Nothing queued: the open is an open like any other.
            $": < {dir["job-start"]}", "echo done");
        await using var sandbox = new Sandbox(SystemOnly().FsRead(dir.Path).FsWrite(dir["jobs"]).RandomSeed(1).RecordFilesystemDenials().Build(), ["/bin/sh", "-c", script])
        {
            Timeout = TimeSpan.FromSeconds(60),
            Handlers = [jobs],
        };
        sandbox.Start();
        var result = await sandbox.WaitAsync();
        AssertSucceeded(result);

        // Each job reads its own seed from the start, through a fresh open and through the fd kept from before.
        Assert.Equal([await FreshAsync(7), await FreshAsync(7), await FreshAsync(9), await FreshAsync(9), await FreshAsync(7), await FreshAsync(7), "done"],
            result.StandardOutputText.Trim().Split('\n'));
        Assert.False(Directory.Exists(dir["jobs/1"]));
        Assert.False(Directory.Exists(dir["jobs/2"]));
        Assert.True(Directory.Exists(dir["jobs/3"]));
        Assert.Equal(3, jobs.Started);
        // The refused read is the second job's: recorded after it started, before the third did.
        List<Denial> Job(int job) => [.. sandbox.SupervisorDeniedSoFar.Skip(jobs.DenialsBefore(job)).Take((job + 1 < jobs.Started ? jobs.DenialsBefore(job + 1) : int.MaxValue) - jobs.DenialsBefore(job))];
        bool Secret(Denial d) => d.Target.Contains(secret, StringComparison.Ordinal);
        Assert.DoesNotContain(Job(0), Secret);
        Assert.Contains(Job(1), Secret);
        Assert.DoesNotContain(Job(2), Secret);
    }

    [Fact]
    public async Task A_job_starts_after_the_process_closed_its_copy_of_the_device_and_reused_the_number()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["job-start"], "");
        var other = dir.Write("other", "");
        Directory.CreateDirectory(dir["jobs"]);
        var jobs = new JobStarts(dir["job-start"]);
        jobs.Queue(7, dir["jobs/1"]);
        jobs.Queue(9, dir["jobs/2"]);
        // A test that read the device and closed it: its number is gone, or another file's, at the next job's start.
        var script = string.Join("; ",
            "exec 3< /dev/urandom", "exec 4< /dev/urandom", "exec 3<&-", $"exec 4< {other}",
            $": < {dir["job-start"]}", Draw,
            $": < {dir["job-start"]}", Draw, "echo done");
        await using var sandbox = new Sandbox(SystemOnly().FsRead(dir.Path).FsWrite(dir["jobs"]).RandomSeed(1).Build(), ["/bin/sh", "-c", script])
        {
            Timeout = TimeSpan.FromSeconds(60),
            Handlers = [jobs],
        };
        sandbox.Start();
        var result = await sandbox.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal([await FreshAsync(7), await FreshAsync(9), "done"], result.StandardOutputText.Trim().Split('\n'));
        Assert.Equal(2, jobs.Started);
    }

    [Fact]
    public async Task A_job_whose_folder_cannot_be_made_does_not_start_and_its_open_fails()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["job-start"], "");
        // A file where the folder's parent should be.
        var blocked = dir.Write("file", "");
        var jobs = new JobStarts(dir["job-start"]);
        jobs.Queue(7, Path.Combine(blocked, "job"));
        await using var sandbox = new Sandbox(SystemOnly().FsRead(dir.Path).RandomSeed(1).Build(),
            ["/bin/sh", "-c", $"(: < {dir["job-start"]}) 2>/dev/null && echo started || echo refused"])
        {
            Timeout = TimeSpan.FromSeconds(60),
            Handlers = [jobs],
        };
        sandbox.Start();
        var result = await sandbox.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal("refused", result.StandardOutputText.Trim());
        Assert.Equal(0, jobs.Started);
    }
}
