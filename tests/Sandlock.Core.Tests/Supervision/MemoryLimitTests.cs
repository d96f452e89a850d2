using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Supervision;

public sealed class MemoryLimitTests
{
    [Fact]
    public async Task A_dotnet_program_over_the_limit_fails_cleanly_and_one_under_it_succeeds()
    {
        var policy = DotnetPrograms.Policy().MaxMemory("256M").Build();
        var over = await Run(policy, DotnetPrograms.Command("alloc", "1024"));
        Assert.Equal(3, over.ExitCode);
        Assert.StartsWith("out of memory after", over.StandardOutputText);
        var under = await Run(policy, DotnetPrograms.Command("alloc", "100"));
        AssertSucceeded(under);
        Assert.Equal("allocated 100\n", under.StandardOutputText);
    }

    [Fact]
    public async Task A_c_program_over_the_limit_gets_enomem()
    {
        var result = await Run(SystemOnly().MaxMemory("64M"), "perl", "-e", "my $x = 'a' x (512 * 1024 * 1024); print length $x");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Out of memory", result.StandardErrorText);
        AssertSucceeded(await Run(SystemOnly().MaxMemory("64M"), "perl", "-e", "my $x = 'a' x (8 * 1024 * 1024); print length $x"));
    }

    [Fact]
    public async Task Many_processes_together_over_the_limit_get_the_sandbox_killed()
    {
        // Each process stays under RLIMIT_DATA, but together they pass the sandbox's limit.
        var script = "for i in 1 2 3 4 5 6; do perl -e 'my $x = \"a\" x (40 * 1024 * 1024); sleep 20' & done; wait";
        var result = await Sh(SystemOnly().MaxMemory("128M"), script);
        Assert.True(result.Status.Killed);
        Assert.Contains(result.Denials, d => d.Syscall == "memory" && d.Rule.StartsWith("--max-memory 128M"));
    }
}
