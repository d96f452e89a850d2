using System.Globalization;

namespace Sandlock.Supervision;

/// <summary>
/// What the sandbox reads of a process from /proc/PID/stat: state, parent, process group, session, and the start
/// time (clock ticks since boot), which with the pid names one process even after its pid is reused.
/// </summary>
internal sealed record ProcessStat(char State, int Parent, int Group, int Session, ulong StartTime)
{
    /// <summary>Null when the process is gone or its stat cannot be read.</summary>
    public static ProcessStat? Read(int pid)
    {
        string stat;
        try { stat = File.ReadAllText($"/proc/{pid}/stat"); }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        // Fields from 3 on, after the command name, which may itself hold spaces and parentheses.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        if (fields.Length < 20 || fields[0].Length == 0) return null;
        return int.TryParse(fields[1], CultureInfo.InvariantCulture, out var parent)
            && int.TryParse(fields[2], CultureInfo.InvariantCulture, out var group)
            && int.TryParse(fields[3], CultureInfo.InvariantCulture, out var session)
            && ulong.TryParse(fields[19], CultureInfo.InvariantCulture, out var started)
            ? new ProcessStat(fields[0][0], parent, group, session, started)
            : null;
    }
}
