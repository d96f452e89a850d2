using System.Globalization;

namespace Sandlock.Supervision;

/// <summary>
/// What the sandbox reads of a process (or thread) from /proc/PID/status; SeccompFiltered: under a seccomp filter
/// (mode 2), as every process of a sandbox with seccomp is.
/// </summary>
internal sealed record ProcessStatus(int ThreadGroup, int Parent, ulong EffectiveCapabilities, bool SeccompFiltered)
{
    /// <summary>Null when the process is gone or its status cannot be read.</summary>
    public static ProcessStatus? Read(int pid)
    {
        int? tgid = null, parent = null;
        ulong? capabilities = null;
        var filtered = false;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("Tgid:", StringComparison.Ordinal)) tgid = int.Parse(line.AsSpan(5), CultureInfo.InvariantCulture);
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
        return tgid is { } t && parent is { } p && capabilities is { } c ? new ProcessStatus(t, p, c, filtered) : null;
    }
}
