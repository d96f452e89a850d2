using System.Globalization;

namespace Sandlock.Supervision;

/// <summary>
/// What the sandbox reads of a process (or thread) from /proc/PID/status; SeccompFiltered: under a seccomp filter
/// (mode 2), as every process of a sandbox with seccomp is.
/// </summary>
internal sealed record ProcessStatus(int ThreadGroup, int Parent, ulong EffectiveCapabilities, bool SeccompFiltered)
{
    /// <summary>The file mode creation mask, which files made on the process's behalf must honour.</summary>
    public uint Umask { get; private init; } = Convert.ToUInt32("022", 8);

    /// <summary>Null when the process is gone or its status cannot be read.</summary>
    public static ProcessStatus? Read(int pid)
    {
        int? tgid = null, parent = null;
        uint? umask = null;
        ulong? capabilities = null;
        var filtered = false;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Umask:", StringComparison.Ordinal)) umask = Convert.ToUInt32(line[6..].Trim(), 8);
                else if (line.StartsWith("Tgid:", StringComparison.Ordinal)) tgid = int.Parse(line.AsSpan(5), CultureInfo.InvariantCulture);
                else if (line.StartsWith("PPid:", StringComparison.Ordinal)) parent = int.Parse(line.AsSpan(5), CultureInfo.InvariantCulture);
                else if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                    capabilities = ulong.Parse(line.AsSpan(7).Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
                else if (line.StartsWith("Seccomp:", StringComparison.Ordinal))
                {
                    filtered = line.AsSpan(8).Trim().SequenceEqual("2");
                    break;
                }
            }
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
        if (tgid is not { } t || parent is not { } p || capabilities is not { } c) return null;
        var status = new ProcessStatus(t, p, c, filtered);
        return umask is { } mask ? status with { Umask = mask } : status;
    }
}
