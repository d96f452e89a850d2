using System.Text.RegularExpressions;
using Sandlock.Interop;

namespace Sandlock.Tests.Native;

/// <summary>The shim reports a failed step by number: the C# enum and the C header must agree, entry by entry.</summary>
public sealed partial class SpawnStepTests
{
    private static readonly Dictionary<string, SpawnStep> CNames = new(StringComparer.Ordinal)
    {
        ["NONE"] = SpawnStep.None, ["FORK"] = SpawnStep.Fork, ["PROCESS_GROUP"] = SpawnStep.ProcessGroup,
        ["PARENT_DEATH_SIGNAL"] = SpawnStep.ParentDeathSignal, ["STDIO"] = SpawnStep.Stdio, ["RLIMIT"] = SpawnStep.ResourceLimit,
        ["PERSONALITY"] = SpawnStep.Personality, ["CWD"] = SpawnStep.WorkingDirectory, ["NO_NEW_PRIVS"] = SpawnStep.NoNewPrivileges,
        ["LANDLOCK"] = SpawnStep.Landlock, ["SECCOMP"] = SpawnStep.Seccomp, ["LISTENER_HANDOFF"] = SpawnStep.ListenerHandoff,
        ["CLOSE_FDS"] = SpawnStep.CloseFds, ["EXEC"] = SpawnStep.Exec, ["PIDFD"] = SpawnStep.PidFd,
        ["CPU_AFFINITY"] = SpawnStep.CpuAffinity, ["CGROUP"] = SpawnStep.Cgroup, ["USER_NAMESPACE"] = SpawnStep.UserNamespace,
        ["ID_MAPS"] = SpawnStep.IdMaps, ["CHROOT"] = SpawnStep.Chroot, ["CAPABILITIES"] = SpawnStep.Capabilities,
    };

    [GeneratedRegex(@"SL_STEP_(?<name>[A-Z_]+)\s*=\s*(?<value>\d+)")]
    private static partial Regex Entry();

    [Fact]
    public void The_csharp_steps_match_the_c_header()
    {
        var header = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Native", "sandlock_spawn.h"));
        var entries = Entry().Matches(header).Select(m => (Name: m.Groups["name"].Value, Value: int.Parse(m.Groups["value"].Value))).ToList();
        Assert.NotEmpty(entries);
        foreach (var (name, value) in entries)
        {
            Assert.True(CNames.TryGetValue(name, out var step), $"SL_STEP_{name} has no C# counterpart in this test's table");
            Assert.Equal(value, (int)step);
        }
        Assert.Equal(Enum.GetValues<SpawnStep>().Order(), entries.Select(e => CNames[e.Name]).Order());
    }
}
