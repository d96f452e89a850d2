using Sandlock.Tests.TestSupport;
using Xunit.Abstractions;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Forking;

/// <summary>Fork templates in C and Python: clones, their handles, their confinement, and Reduce.</summary>
public sealed class ForkTests(ForkTests.Templates templates, ITestOutputHelper output) : IClassFixture<ForkTests.Templates>
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);
    private const string Python = "/usr/bin/python3";

    /// <summary>template.c built against the C client, and the Python client beside template.py, where sandboxes may read them.</summary>
    public sealed class Templates : IDisposable
    {
        private readonly TempDir _dir = new();

        public Templates()
        {
            C = CPrograms.Build("Forking/template.c", _dir["template"], false, "-I", AppContext.BaseDirectory + "Forking",
                Path.Combine(AppContext.BaseDirectory, "Forking/clients/sandlock_fork.c"));
            foreach (var file in new[] { "Forking/template.py", "Forking/clients/sandlock_fork.py" })
                File.Copy(Path.Combine(AppContext.BaseDirectory, file), _dir[Path.GetFileName(file)]);
            PythonTemplate = _dir["template.py"];
            Secrets = new TempDir();
            Secret = Secrets.Write("secret.txt", "secret\n");
        }

        public string Folder => _dir.Path;
        public string C { get; }
        public string PythonTemplate { get; }
        public TempDir Secrets { get; }
        public string Secret { get; }

        public void Dispose()
        {
            Secrets.Dispose();
            _dir.Dispose();
        }
    }

    private SandboxPolicy Policy(bool readSecrets = false)
    {
        var builder = SystemOnly().FsRead(templates.Folder);
        if (readSecrets) builder.FsRead(templates.Secrets.Path);
        return builder.Build();
    }

    private Sandbox Template(SandboxPolicy policy, params string[] command) => new(policy, command) { ForkTemplate = true, Timeout = Generous };

    [Fact]
    public async Task Clones_get_their_id_their_own_stdout_and_their_exit_status()
    {
        await using var template = Template(Policy(), templates.C, "echo");
        template.Start();
        var clones = await template.ForkAsync(3);
        var second = await template.ForkAsync(2);

        var results = await Task.WhenAll(clones.Concat(second).Select(c => c.WaitAsync()));
        Assert.Equal([0, 1, 2, 3, 4], clones.Concat(second).Select(c => c.CloneId));
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal($"clone {i} CLONE_ID={i}\n", results[i].StandardOutputText);
            Assert.Equal(3, results[i].ExitCode);
        }
        Assert.Equal(5, results.Select(r => r.Pid).Distinct().Count());
    }

    [Fact]
    public async Task A_clone_is_confined_like_its_template()
    {
        await using var template = Template(Policy(), templates.C, "read", templates.Secret);
        template.Start();
        var clone = Assert.Single(await template.ForkAsync(1));
        var result = await clone.WaitAsync();
        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"clone 0: {templates.Secret}: Permission denied\n", result.StandardOutputText);
    }

    [Fact]
    public async Task A_clone_counts_as_the_sandboxs_in_the_proc_view_and_its_denials_are_its_own()
    {
        using var go = new TempDir();
        var policy = SystemOnly().FsRead(templates.Folder).FsRead("/proc").FsRead(go.Path).Build();
        await using var template = Template(policy, templates.C, "proc", go["go"]);
        template.Start();
        var clones = await template.ForkAsync(2);
        // Both adopted: now they may look.
        go.Write("go", "");
        var results = await Task.WhenAll(clones.Select(c => c.WaitAsync()));
        for (var i = 0; i < 2; i++)
        {
            Assert.Equal($"clone {i} init:No such file or directory own:ok template:ok prlimit:ok listed:1,1\n", results[i].StandardOutputText);
            var denial = Assert.Single(results[i].Denials);
            Assert.Equal((clones[i].Pid, "/proc/1/status"), (denial.Pid, denial.Target));
        }
        // The template's supervisor served them: its own list has both, and nothing of its own.
        Assert.Equal(clones.Select(c => c.Pid).Order(), template.DeniedSoFar.Select(d => d.Pid).Order());
    }

    [Theory]
    [InlineData("max_memory")]
    [InlineData("cpu")]
    public void A_template_with_a_limit_its_clones_would_escape_is_refused(string setting)
    {
        var builder = SystemOnly().FsRead(templates.Folder);
        var policy = (setting == "cpu" ? builder.Cpu(50) : builder.MaxMemory("256M")).Build();
        using var template = Template(policy, templates.C, "echo");
        var refused = Assert.Throws<SandboxSetupException>(template.Start);
        Assert.Contains($"{setting} is not supported for a fork template", refused.Message);
        Assert.False(template.HasStarted);
    }

    [Fact]
    public async Task A_denial_of_a_clone_before_the_supervisor_adopted_it_is_still_its_own()
    {
        var policy = SystemOnly().FsRead(templates.Folder).FsRead("/proc").Build();
        await using var template = Template(policy, templates.C, "proc-now");
        template.Start();
        var clones = await template.ForkAsync(4);
        var results = await Task.WhenAll(clones.Select(c => c.WaitAsync()));
        for (var i = 0; i < clones.Count; i++)
        {
            Assert.Equal($"clone {i} init:No such file or directory\n", results[i].StandardOutputText);
            Assert.Equal(clones[i].Pid, Assert.Single(results[i].Denials).Pid);
        }
    }

    [Fact]
    public async Task A_clone_reads_what_its_template_may()
    {
        await using var template = Template(Policy(readSecrets: true), templates.C, "read", templates.Secret);
        template.Start();
        var clone = Assert.Single(await template.ForkAsync(1));
        var result = await clone.WaitAsync();
        AssertSucceeded(result);
        Assert.Equal("clone 0 read: secret\n", result.StandardOutputText);
    }

    [Fact]
    public async Task A_clone_can_be_killed_and_paused_through_its_handle()
    {
        await using var template = Template(Policy(), templates.C, "wait");
        template.Start();
        var clones = await template.ForkAsync(2);

        clones[0].Pause();
        while (Procfs.State(clones[0].Pid) != "T") await Task.Delay(5);
        clones[0].Resume();
        while (Procfs.State(clones[0].Pid) == "T") await Task.Delay(5);
        Assert.NotEqual("T", Procfs.State(clones[1].Pid));

        clones[0].Kill();
        var killed = await clones[0].WaitAsync();
        Assert.True(killed.Status.Killed, $"expected killed, got {killed.Status}");
        // The other clone and the template are untouched.
        Assert.NotEqual("gone", Procfs.State(clones[1].Pid));
        Assert.NotEqual("gone", Procfs.State(template.Pid!.Value));
        await clones[1].DisposeAsync();
        Assert.True((await clones[1].WaitAsync()).Status.Killed);
    }

    [Fact]
    public async Task The_templates_timeout_ends_its_clones_as_timed_out()
    {
        await using var template = new Sandbox(Policy(), [templates.C, "wait"]) { ForkTemplate = true, Timeout = TimeSpan.FromSeconds(2) };
        template.Start();
        var clones = await template.ForkAsync(2);

        var results = await Task.WhenAll(clones.Select(c => c.WaitAsync()));
        Assert.All(results, r => Assert.True(r.Status.TimedOut, $"expected timed out, got {r.Status}"));
        Assert.All(results, r => Assert.StartsWith("clone ", r.StandardOutputText));
        var ended = await template.WaitAsync();
        Assert.True(ended.Status.TimedOut, $"expected timed out, got {ended.Status}");
    }

    [Fact]
    public async Task Disposing_the_template_kills_its_clones()
    {
        IReadOnlyList<SandboxClone> clones;
        await using (var template = Template(Policy(), templates.C, "wait"))
        {
            template.Start();
            clones = await template.ForkAsync(3);
        }
        var results = await Task.WhenAll(clones.Select(c => c.WaitAsync()));
        Assert.All(results, r => Assert.True(r.Status.Killed, $"expected killed, got {r.Status}"));
    }

    [Fact]
    public async Task Clones_outlive_a_template_that_ends_on_its_own()
    {
        await using var template = Template(Policy(), templates.C, "wait");
        template.Start();
        var clone = Assert.Single(await template.ForkAsync(1));
        template.Kill();
        await template.WaitAsync();
        Assert.NotEqual("gone", Procfs.State(clone.Pid));
        var error = await Assert.ThrowsAsync<SandboxSetupException>(() => template.ForkAsync(1));
        Assert.Contains("the template has ended", error.Message);
        clone.Kill();
        Assert.True((await clone.WaitAsync()).Status.Killed);
    }

    [Fact]
    public async Task A_fork_cancelled_before_its_turn_leaves_the_channel_as_it_was()
    {
        await using var template = Template(Policy(), templates.C, "echo");
        template.Start();
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => template.ForkAsync(1, cancelled.Token));
        Assert.Single(await template.ForkAsync(1));
    }

    [Fact]
    public async Task A_fork_cancelled_while_waiting_ends_the_channel_and_later_forks_say_why()
    {
        await using var template = Template(Policy(), templates.C, "silent");
        template.Start();
        using var cancel = new CancellationTokenSource();
        var waiting = template.ForkAsync(1, cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        var error = await Assert.ThrowsAsync<SandboxSetupException>(() => template.ForkAsync(1));
        Assert.Contains("a fork was cancelled (it never sent READY)", error.Message);
    }

    [Fact]
    public async Task Reduce_runs_the_reducer_on_the_outputs_of_all_clones()
    {
        await using var template = Template(Policy(), templates.C, "number");
        template.Start();
        var clones = await template.ForkAsync(4);
        var result = await Sandbox.ReduceAsync(SystemOnly().Build(), ["awk", "{ s += $1; n++ } END { print n, s }"], clones, Generous);
        AssertSucceeded(result);
        Assert.Equal("4 6\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Forking_a_sandbox_that_is_not_a_template_is_refused()
    {
        await using var plain = new Sandbox(Policy(), ["true"]);
        plain.Start();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => plain.ForkAsync(1));
        Assert.Contains("ForkTemplate", error.Message);
    }

    [Fact]
    public async Task A_template_that_ends_before_it_is_ready_fails_the_fork_and_says_so()
    {
        await using var template = Template(Policy(), templates.C, "not-ready");
        template.Start();
        var error = await Assert.ThrowsAsync<SandboxSetupException>(() => template.ForkAsync(1));
        Assert.Contains("READY", error.Message);
    }

    [Fact]
    public async Task A_program_that_is_not_started_as_a_template_learns_it_from_the_client()
    {
        var result = await Run(Policy(), templates.C, "echo");
        // sandlock_fork_serve fails with ENOTCONN: the template's return 1.
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public async Task Python_template_clones_get_their_id_and_stay_confined()
    {
        if (!File.Exists(Python))
        {
            output.WriteLine($"skipped: {Python} is absent");
            return;
        }
        await using var template = Template(Policy(), Python, templates.PythonTemplate);
        template.Start();
        var clones = await template.ForkAsync(2);
        var results = await Task.WhenAll(clones.Select(c => c.WaitAsync()));
        Assert.Equal(["py clone 0 CLONE_ID=0 state=0\n", "py clone 1 CLONE_ID=1 state=1\n"], results.Select(r => r.StandardOutputText));
        Assert.All(results, AssertSucceeded);

        await using var reader = Template(Policy(), Python, templates.PythonTemplate, templates.Secret);
        reader.Start();
        var denied = await Assert.Single(await reader.ForkAsync(1)).WaitAsync();
        Assert.Equal("py clone 0: Permission denied\n", denied.StandardOutputText);
        Assert.Equal(1, denied.ExitCode);
    }
}
