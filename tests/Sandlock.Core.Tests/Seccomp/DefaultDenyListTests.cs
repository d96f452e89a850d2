using Sandlock.Interop;
using Sandlock.Confinement.Seccomp;

namespace Sandlock.Tests.Seccomp;

public class DefaultDenyListTests
{
    [Fact]
    public void Every_name_exists_in_some_table()
    {
        foreach (var entry in DefaultDenyList.Syscalls)
            Assert.True(SyscallTable.X64.Contains(entry.Name) || SyscallTable.Arm64.Contains(entry.Name), entry.Name);
    }

    [Fact]
    public void Names_are_unique_and_have_reasons()
    {
        Assert.Equal(DefaultDenyList.Syscalls.Count, DefaultDenyList.Syscalls.Select(s => s.Name).Distinct().Count());
        Assert.All(DefaultDenyList.Syscalls, s => Assert.False(string.IsNullOrWhiteSpace(s.Reason)));
    }

    [Fact]
    public void Groups_are_known_and_their_members_exist_in_both_tables()
    {
        foreach (var group in DefaultDenyList.Groups)
        {
            Assert.True(SyscallGroups.IsKnown(group));
            foreach (var member in SyscallGroups.Members(group))
                Assert.True(SyscallTable.X64.Contains(member) && SyscallTable.Arm64.Contains(member), member);
        }
    }

    [Theory]
    [InlineData("personality")]
    [InlineData("statmount")]
    [InlineData("listmount")]
    public void Harmless_syscalls_are_not_listed(string name) =>
        Assert.DoesNotContain(DefaultDenyList.Syscalls, s => s.Name == name);
}
