namespace Sandlock.Confinement;

/// <summary>
/// Where new cgroups with the pids controller can be made: the directory a sandbox's cgroup goes into, and whether
/// it is cgroup v2 (where the controller must also be enabled in the parent's cgroup.subtree_control).
/// </summary>
internal sealed record PidsHierarchy(string Parent, bool Version2)
{
    /// <summary>The pids controller's hierarchy as mounted for this process (v1 first, then v2), or null.</summary>
    public static PidsHierarchy? Locate()
    {
        string[] mounts, memberships;
        try
        {
            mounts = File.ReadAllLines("/proc/self/mountinfo");
            memberships = File.ReadAllLines("/proc/self/cgroup");
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }

        PidsHierarchy? v2 = null;
        foreach (var line in mounts)
        {
            // mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTIONS
            var fields = line.Split(' ');
            var separator = Array.IndexOf(fields, "-");
            if (separator < 5 || fields.Length < separator + 4) continue;
            var mountPoint = Unescape(fields[4]);
            var writable = fields[5].Split(',').Contains("rw");
            var type = fields[separator + 1];
            if (type == "cgroup" && fields[separator + 3].Split(',').Contains("pids"))
            {
                if (!writable) continue;
                // Nested under our own cgroup, so a limit set on it (a container's) still applies to the sandbox.
                var own = memberships.Select(m => m.Split(':', 3)).FirstOrDefault(m => m.Length == 3 && m[1].Split(',').Contains("pids"))?[2] ?? "/";
                var parent = Path.TrimEndingDirectorySeparator(Path.Join(mountPoint, own));
                return new PidsHierarchy(Directory.Exists(parent) ? parent : mountPoint, Version2: false);
            }
            if (type == "cgroup2" && writable && v2 is null && HasController(mountPoint))
                // A v2 cgroup with processes cannot enable controllers for children, except the root: so the root.
                v2 = new PidsHierarchy(mountPoint, Version2: true);
        }
        return v2;
    }

    private static bool HasController(string mountPoint)
    {
        try { return File.ReadAllText(Path.Join(mountPoint, "cgroup.controllers")).Split(' ', '\n').Contains("pids"); }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return false; }
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var text = new System.Text.StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                text.Append((char)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
                i += 3;
            }
            else text.Append(field[i]);
        }
        return text.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
