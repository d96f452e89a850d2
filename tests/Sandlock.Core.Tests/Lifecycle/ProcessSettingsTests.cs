using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Lifecycle;

public sealed class ProcessSettingsTests
{
    private const string Variable = "SANDLOCK_TEST_SECRET_TOKEN";

    static ProcessSettingsTests() => Environment.SetEnvironmentVariable(Variable, "inherited");

    [Fact]
    public async Task The_environment_is_inherited_by_default()
    {
        var result = await Sh(SystemOnly(), $"echo ${Variable}");
        Assert.Equal("inherited\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Clean_env_drops_inherited_variables_but_keeps_path_and_explicit_ones()
    {
        var result = await Sh(SystemOnly().CleanEnv().Env("GREETING=hello"), $"echo \"[${Variable}] $GREETING\"; test -n \"$PATH\"");
        AssertSucceeded(result);
        Assert.Equal("[] hello\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Cwd_sets_the_working_directory()
    {
        var result = await Run(SystemOnly().Cwd("/usr/share"), "pwd");
        Assert.Equal("/usr/share\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Max_open_files_limits_descriptors()
    {
        var result = await Sh(SystemOnly().MaxOpenFiles(64), "ulimit -n");
        Assert.Equal("64\n", result.StandardOutputText);
    }

    [Fact]
    public async Task No_coredump_sets_the_core_limit_to_zero()
    {
        var result = await Sh(SystemOnly().NoCoredump(), "ulimit -c");
        Assert.Equal("0\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Sigpipe_has_its_default_action_in_the_child()
    {
        // .NET ignores SIGPIPE; a pipeline must still end the writer quietly.
        var result = await Sh(SystemOnly(), "yes | head -n 1");
        AssertSucceeded(result);
        Assert.Equal("y\n", result.StandardOutputText);
        Assert.Equal("", result.StandardErrorText);
    }
}

public sealed class CpuSelectionTests
{
    [Fact]
    public async Task Num_cpus_is_what_the_program_sees()
    {
        var result = await Run(SystemOnly().NumCpus(1), "nproc");
        Assert.Equal("1\n", result.StandardOutputText);
    }

    [Fact]
    public async Task Cpu_cores_pins_the_command_to_those_cores()
    {
        var last = Environment.ProcessorCount - 1;
        var result = await Sh(SystemOnly().FsRead("/proc").CpuCores([last]), "grep Cpus_allowed_list /proc/self/status");
        Assert.Equal($"Cpus_allowed_list:\t{last}\n", result.StandardOutputText);
    }

    [Fact]
    public async Task A_core_that_does_not_exist_is_a_setup_error()
    {
        var error = await Assert.ThrowsAsync<SandboxSetupException>(() => Run(SystemOnly().CpuCores([4095]), "true"));
        Assert.Contains("CPU 4095", error.Message);
    }
}

public sealed class MemoryLayoutTests
{
    private static async Task<string> StackOf(SandboxPolicyBuilder builder)
    {
        var result = await Run(builder.FsRead("/proc"), "grep", "\\[stack\\]", "/proc/self/maps");
        AssertSucceeded(result);
        return result.StandardOutputText;
    }

    [Fact]
    public async Task No_randomize_memory_gives_the_same_layout_on_every_run()
    {
        Assert.Equal(await StackOf(SystemOnly().NoRandomizeMemory()), await StackOf(SystemOnly().NoRandomizeMemory()));
        // With randomization the stack moves; three runs at the same address would be a one-in-billions coincidence.
        var seen = new HashSet<string>();
        for (var i = 0; i < 3; i++) seen.Add(await StackOf(SystemOnly()));
        Assert.True(seen.Count > 1);
    }

    [Fact]
    public async Task No_huge_pages_turns_transparent_huge_pages_off()
    {
        var result = await Run(SystemOnly().FsRead("/proc").NoHugePages(), "grep", "THP_enabled", "/proc/self/status");
        Assert.Equal("THP_enabled:\t0\n", result.StandardOutputText);
    }
}
