using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sandlock.Build.RestoreCheck;

/// <summary>
/// What <see cref="CheckRestoreTimeExec"/> found for a project, kept in the node across builds and in a file under
/// obj/ across processes: the restore-time evaluation it needs costs about 100 ms, the largest fixed cost of a
/// routed build (and `dotnet build` of one project runs in a new process each time). A kept finding is used while
/// its key (project, global properties, environment) matches and nothing it came from changed: the project file and
/// every file the evaluation imported (size and last write), and which Directory.Build.props/.targets exist from the
/// project's folder up. A file that an <c>Exists()</c> condition elsewhere would import once it appears is seen
/// only after a change to one of those; the check only warns, it confines nothing.
/// </summary>
internal static class RestoreTimeFindings
{
    internal sealed record Finding(string Name, string FullPath, int Line, int Column);

    private sealed record Entry(string KeyHash, IReadOnlyList<string> Inputs, IReadOnlyList<string> Stamps, IReadOnlyList<Finding> Findings);

    private const string FileHeader = "sandlock restore-time check 1";

    // Bounded: a node building many projects (or one with ever-changing properties) would otherwise keep them all.
    private const int MaxEntries = 256;

    private static readonly ConcurrentDictionary<string, Entry> Entries = new(StringComparer.Ordinal);

    /// <summary>
    /// The findings for <paramref name="projectFile"/>: kept ones when still valid (<paramref name="reused"/>), else
    /// <paramref name="evaluate"/>'s, which also returns the files its evaluation imported. <paramref name="cacheFile"/>
    /// (under obj/) keeps them for the next process; it is skipped when it cannot be read or written.
    /// </summary>
    public static IReadOnlyList<Finding> For(string projectFile, IReadOnlyDictionary<string, string> globals, string? cacheFile,
        Func<(IReadOnlyList<Finding> Findings, IEnumerable<string> Imports)> evaluate, out bool reused)
    {
        var keyHash = KeyHashOf(projectFile, globals);
        if ((Entries.TryGetValue(projectFile, out var kept) || (kept = Read(cacheFile)) is not null)
            && kept.KeyHash == keyHash && StampsOf(kept.Inputs).SequenceEqual(kept.Stamps, StringComparer.Ordinal))
        {
            Remember(projectFile, kept);
            reused = true;
            return kept.Findings;
        }

        var (findings, imports) = evaluate();
        List<string> inputs = [projectFile, .. imports.Distinct(StringComparer.Ordinal)];
        for (var folder = Path.GetDirectoryName(projectFile); folder is not null; folder = Path.GetDirectoryName(folder))
        {
            inputs.Add(Path.Combine(folder, "Directory.Build.props"));
            inputs.Add(Path.Combine(folder, "Directory.Build.targets"));
        }
        var entry = new Entry(keyHash, inputs, StampsOf(inputs), findings);
        Remember(projectFile, entry);
        Write(cacheFile, entry);
        reused = false;
        return findings;
    }

    private static void Remember(string projectFile, Entry entry)
    {
        if (Entries.Count >= MaxEntries) Entries.Clear();
        Entries[projectFile] = entry;
    }

    private static string KeyHashOf(string projectFile, IReadOnlyDictionary<string, string> globals)
    {
        var key = new StringBuilder(4096);
        void Field(string? value) => key.Append(value?.Length ?? -1).Append(':').Append(value).Append('\n');
        Field(projectFile);
        // Arrays of names sorted, not LINQ over the pairs: generic code over a struct has no ReadyToRun code, and every
        // fresh MSBuild node compiled it.
        var globalNames = new string[globals.Count];
        var next = 0;
        foreach (var name in globals.Keys) globalNames[next++] = name;
        // Names that differ only in case keep an order of their own, as the stable sort before gave them.
        Array.Sort(globalNames, static (a, b) => string.Compare(a, b, StringComparison.OrdinalIgnoreCase) is var c and not 0 ? c : string.CompareOrdinal(a, b));
        foreach (var name in globalNames) { Field(name); Field(globals[name]); }
        Field("environment");
        var environment = Environment.GetEnvironmentVariables();
        var names = new string[environment.Count];
        environment.Keys.CopyTo(names, 0);
        Array.Sort(names, StringComparer.Ordinal);
        foreach (var name in names)
        {
            Field(name);
            Field((string?)environment[name]);
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key.ToString())));
    }

    private static List<string> StampsOf(IReadOnlyList<string> files)
    {
        var stamps = new List<string>(files.Count);
        foreach (var file in files)
        {
            var info = new FileInfo(file);
            stamps.Add(info.Exists ? string.Create(CultureInfo.InvariantCulture, $"{info.Length}@{info.LastWriteTimeUtc.Ticks}") : "-");
        }
        return stamps;
    }

    // One line per field; a path holding a tab or a line break is not kept (the check then runs each time).
    private static void Write(string? cacheFile, Entry entry)
    {
        if (cacheFile is null || entry.Inputs.Concat(entry.Findings.Select(f => f.FullPath)).Append(string.Join("", entry.Findings.Select(f => f.Name)))
                .Any(text => text.AsSpan().IndexOfAny('\t', '\n', '\r') >= 0))
            return;
        var text = new StringBuilder().Append(FileHeader).Append('\n').Append(entry.KeyHash).Append('\n');
        text.Append(entry.Inputs.Count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        for (var i = 0; i < entry.Inputs.Count; i++) text.Append(entry.Stamps[i]).Append('\t').Append(entry.Inputs[i]).Append('\n');
        foreach (var finding in entry.Findings)
            text.Append(string.Create(CultureInfo.InvariantCulture, $"{finding.Line}\t{finding.Column}\t{finding.Name}\t{finding.FullPath}\n"));
        var partial = $"{cacheFile}.{Environment.ProcessId}.tmp";
        try
        {
            File.WriteAllText(partial, text.ToString());
            File.Move(partial, cacheFile, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(partial); }
            catch (Exception cleanup) when (cleanup is IOException or UnauthorizedAccessException) { }
        }
    }

    private static Entry? Read(string? cacheFile)
    {
        string[] lines;
        try
        {
            if (cacheFile is null || !File.Exists(cacheFile)) return null;
            lines = File.ReadAllLines(cacheFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
        if (lines.Length < 3 || lines[0] != FileHeader
            || !int.TryParse(lines[2], NumberStyles.None, CultureInfo.InvariantCulture, out var count) || lines.Length < 3 + count)
            return null;
        var inputs = new List<string>(count);
        var stamps = new List<string>(count);
        foreach (var line in lines.AsSpan(3, count))
        {
            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            if (tab < 0) return null;
            stamps.Add(line[..tab]);
            inputs.Add(line[(tab + 1)..]);
        }
        var findings = new List<Finding>();
        foreach (var line in lines.AsSpan(3 + count))
        {
            var fields = line.Split('\t');
            if (fields.Length != 4
                || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var at)
                || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var column))
                return null;
            findings.Add(new Finding(fields[2], fields[3], at, column));
        }
        return new Entry(lines[1], inputs, stamps, findings);
    }
}
