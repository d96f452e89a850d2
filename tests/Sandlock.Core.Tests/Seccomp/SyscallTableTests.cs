using Sandlock.Interop;
using Sandlock.Confinement.Seccomp;

namespace Sandlock.Tests.Seccomp;

public class SyscallTableTests
{
    [Fact]
    public void X64_matches_the_kernel_numbers()
    {
        var t = SyscallTable.X64;
        Assert.Equal("x86_64", t.Architecture);
        Assert.Equal(0xC000003Eu, t.AuditArch);
        Assert.Equal(0, t["read"]);
        Assert.Equal(257, t["openat"]);
        Assert.Equal(56, t["clone"]);
        Assert.Equal(435, t["clone3"]);
        Assert.Equal(453, t["map_shadow_stack"]);
        Assert.True(t.Contains("ioperm"));
    }

    [Fact]
    public void Arm64_matches_the_kernel_numbers()
    {
        var t = SyscallTable.Arm64;
        Assert.Equal("aarch64", t.Architecture);
        Assert.Equal(0xC00000B7u, t.AuditArch);
        Assert.Equal(63, t["read"]);
        Assert.Equal(56, t["openat"]);
        Assert.Equal(220, t["clone"]);
        Assert.Equal(25, t["fcntl"]);
        Assert.Equal(62, t["lseek"]);
        Assert.Equal(222, t["mmap"]);
        Assert.Equal(223, t["fadvise64"]);
        Assert.Equal(79, t["newfstatat"]);
        Assert.False(t.Contains("open"));
        Assert.False(t.Contains("ioperm"));
        Assert.False(t.Contains("map_shadow_stack"));
        Assert.False(t.Contains("fcntl64"));
        Assert.False(t.Contains("clock_gettime64"));
    }

    [Theory]
    [InlineData("landlock_create_ruleset", 444)]
    [InlineData("mseal", 462)]
    [InlineData("cachestat", 451)]
    [InlineData("file_setattr", 469)]
    public void Shared_numbers_agree_on_both_arches(string name, int number)
    {
        Assert.Equal(number, SyscallTable.X64[name]);
        Assert.Equal(number, SyscallTable.Arm64[name]);
    }

    [Fact]
    public void Numbers_are_unique_within_each_table()
    {
        foreach (var table in new[] { SyscallTable.X64, SyscallTable.Arm64 })
            Assert.Equal(table.Numbers.Count, table.Numbers.Values.Distinct().Count());
    }

    [Fact]
    public void TryGetNumber_reports_missing_names()
    {
        Assert.True(SyscallTable.X64.TryGetNumber("getpid", out var nr));
        Assert.Equal(39, nr);
        Assert.False(SyscallTable.X64.TryGetNumber("no_such_call", out _));
    }
}
