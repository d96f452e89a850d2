namespace Sandlock.Tests.TestSupport;

/// <summary>What /proc says about processes the tests started.</summary>
public static class Procfs
{
    /// <summary>The state letter of /proc/PID/stat (R, S, T, Z...), or "gone".</summary>
    public static string State(int pid) => Stat(pid)?[0] ?? "gone";

    /// <summary>True while process <paramref name="pid"/> exists and is not a zombie.</summary>
    public static bool Alive(int pid) => State(pid) is not ("gone" or "Z");

    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds, for up to <paramref name="seconds"/>; fails if it never does.</summary>
    public static async Task WaitUntil(Func<bool> condition, int seconds = 30)
    {
        for (var i = 0; i < seconds * 100 && !condition(); i++) await Task.Delay(10);
        Assert.True(condition());
    }

    /// <summary>True while any non-zombie process belongs to process group <paramref name="group"/>.</summary>
    public static bool GroupAlive(int group) => Directory.EnumerateDirectories("/proc")
        .Select(Path.GetFileName)
        .Where(n => n!.All(char.IsAsciiDigit))
        .Select(n => Stat(int.Parse(n!)))
        .Any(fields => fields is not null && fields[2] == group.ToString() && fields[0] != "Z");

    /// <summary>How many tasks (threads included, as RLIMIT_NPROC and pids.max count them) process group <paramref name="group"/> has.</summary>
    public static int TasksInGroup(int group) => Directory.EnumerateDirectories("/proc")
        .Select(Path.GetFileName)
        .Where(n => n!.All(char.IsAsciiDigit) && Stat(int.Parse(n!)) is { } fields && fields[2] == group.ToString())
        .Sum(n =>
        {
            try { return Directory.GetDirectories($"/proc/{n}/task").Length; }
            catch (IOException) { return 0; }
        });

    /// <summary>The fields of /proc/PID/stat after the command name: state, ppid, pgrp...</summary>
    private static string[]? Stat(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException) { return null; }
    }
}
