using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Sandlock.Build.RestoreCheck;

/// <summary>
/// What <see cref="CheckRestoreTimeExec"/> found for a project, kept by the node across builds: the restore-time
/// evaluation it needs costs about 100 ms, the largest fixed cost of a routed build in a warm node. An entry is used
/// while its key (project, global properties, environment) matches and nothing it came from changed: the project
/// file and every file the evaluation imported (size and last write), and which Directory.Build.props/.targets exist
/// from the project's folder up. A file that an <c>Exists()</c> condition elsewhere would import once it appears is
/// seen when the node starts again; the check only warns, it confines nothing.
/// </summary>
internal static class RestoreTimeFindings
{
    internal sealed record Finding(string Name, string FullPath, int Line, int Column);

    private sealed record Entry(IReadOnlyList<string> Inputs, string Stamps, IReadOnlyList<Finding> Findings);

    // Bounded: a node building many projects (or one with ever-changing properties) would otherwise keep them all.
    private const int MaxEntries = 256;

    private static readonly ConcurrentDictionary<string, Entry> Entries = new(StringComparer.Ordinal);

    /// <summary>
    /// The findings for <paramref name="projectFile"/>: kept ones when still valid (<paramref name="reused"/>), else
    /// <paramref name="evaluate"/>'s, which also returns the files its evaluation imported.
    /// </summary>
    public static IReadOnlyList<Finding> For(string projectFile, IReadOnlyDictionary<string, string> globals,
        Func<(IReadOnlyList<Finding> Findings, IEnumerable<string> Imports)> evaluate, out bool reused)
    {
        var key = KeyOf(projectFile, globals);
        if (Entries.TryGetValue(key, out var kept) && Stamps(kept.Inputs) == kept.Stamps)
        {
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
        if (Entries.Count >= MaxEntries) Entries.Clear();
        Entries[key] = new Entry(inputs, Stamps(inputs), findings);
        reused = false;
        return findings;
    }

    private static string KeyOf(string projectFile, IReadOnlyDictionary<string, string> globals)
    {
        var key = new StringBuilder(4096);
        void Field(string? value) => key.Append(value?.Length ?? -1).Append(':').Append(value).Append('\n');
        Field(projectFile);
        foreach (var (name, value) in globals.OrderBy(g => g.Key, StringComparer.OrdinalIgnoreCase)) { Field(name); Field(value); }
        Field("environment");
        foreach (var entry in Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().OrderBy(e => (string)e.Key, StringComparer.Ordinal))
        {
            Field((string)entry.Key);
            Field((string?)entry.Value);
        }
        return key.ToString();
    }

    private static string Stamps(IReadOnlyList<string> files)
    {
        var stamps = new StringBuilder(files.Count * 24);
        foreach (var file in files)
        {
            var info = new FileInfo(file);
            stamps.Append(info.Exists
                ? string.Create(CultureInfo.InvariantCulture, $"{info.Length}@{info.LastWriteTimeUtc.Ticks}")
                : "-").Append('\n');
        }
        return stamps.ToString();
    }
}
