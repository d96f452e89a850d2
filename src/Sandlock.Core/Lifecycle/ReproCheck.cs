using System.Security.Cryptography;
using System.Text;
using Sandlock.Policy;

namespace Sandlock.Lifecycle;

/// <summary>The outcome of a reproducibility check: whether every run produced the same bytes, and if not, where not.</summary>
internal sealed record ReproReport(int Runs, bool Identical, string? FirstDifference);

/// <summary>
/// Runs a command several times under one policy while varying what the policy does not pin (the wall clock, the
/// environment's order, the order in which the write paths' contents are created, the memory layout unless
/// no_randomize_memory), and compares stdout and every file under the write paths, byte for byte. The write paths
/// start each run from the state they had before the first; after the check they hold the last run's results.
/// </summary>
internal static class ReproCheck
{
    public static async Task<ReproReport> RunAsync(SandboxPolicy policy, IReadOnlyList<string> command, int runs,
        TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        if (runs < 2) throw new ArgumentOutOfRangeException(nameof(runs), "a reproducibility check needs at least 2 runs");
        var backup = Directory.CreateTempSubdirectory("sandlock-repro-").FullName;
        // Marked: a check killed midway leaves its copy of the write paths to a later process's sweep.
        var ownership = Interop.TempFolderOwnership.Claim(backup);
        try
        {
            // Not .NET's named-mutex folder: its lock files are not output, and other processes' live ones are there.
            var roots = policy.FsWritable.Select(ChildRoot.Of(policy).HostPathOf).Where(Directory.Exists)
                .Where(root => !PathTree.IsSameOrUnder(root, FrontDoorDefaults.DotnetSharedMemory)).ToList();
            for (var i = 0; i < roots.Count; i++) CopyTree(roots[i], Path.Combine(backup, i.ToString()), order: null);
            Outcome? first = null;
            for (var run = 1; run <= runs; run++)
            {
                var shuffle = new Random(Environment.TickCount ^ run);
                if (run > 1)
                    for (var i = 0; i < roots.Count; i++) Restore(roots[i], Path.Combine(backup, i.ToString()), shuffle);
                await using var sandbox = new Sandbox(policy, command) { Timeout = timeout, EnvironmentShuffle = shuffle };
                sandbox.Start();
                var result = await sandbox.WaitAsync(cancellationToken).ConfigureAwait(false);
                var outcome = new Outcome(result.ExitCode, result.StandardOutput, Hashes(roots));
                if (first is null) { first = outcome; continue; }
                if (Compare(first, outcome, run) is { } difference) return new ReproReport(run, false, difference);
            }
            return new ReproReport(runs, true, null);
        }
        finally
        {
            Directory.Delete(backup, recursive: true);
            ownership?.Dispose();
        }
    }

    private sealed record Outcome(int ExitCode, byte[] Stdout, SortedDictionary<string, string> Files);

    private static string? Compare(Outcome first, Outcome other, int run)
    {
        if (first.ExitCode != other.ExitCode) return $"run {run} exited with {other.ExitCode}, run 1 with {first.ExitCode}";
        if (!first.Stdout.AsSpan().SequenceEqual(other.Stdout))
        {
            var a = Encoding.UTF8.GetString(first.Stdout).Split('\n');
            var b = Encoding.UTF8.GetString(other.Stdout).Split('\n');
            var line = Enumerable.Range(0, Math.Min(a.Length, b.Length)).FirstOrDefault(i => a[i] != b[i], Math.Min(a.Length, b.Length));
            return $"stdout line {line + 1}: run 1 printed \"{Shorten(a.ElementAtOrDefault(line))}\", run {run} \"{Shorten(b.ElementAtOrDefault(line))}\"";
        }
        foreach (var (path, hash) in first.Files)
        {
            if (!other.Files.TryGetValue(path, out var otherHash)) return $"{path}: written by run 1, not by run {run}";
            if (hash != otherHash) return $"{path}: its content differs between run 1 and run {run}";
        }
        var extra = other.Files.Keys.FirstOrDefault(k => !first.Files.ContainsKey(k));
        return extra is null ? null : $"{extra}: written by run {run}, not by run 1";
    }

    private static string Shorten(string? text) => text is null ? "(nothing)" : text.Length > 80 ? text[..80] + "..." : text;

    private static SortedDictionary<string, string> Hashes(IEnumerable<string> roots)
    {
        var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var root in roots)
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
                hashes[file] = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(file)));
        return hashes;
    }

    private static void Restore(string root, string saved, Random order)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(root))
        {
            if (Directory.Exists(entry) && new DirectoryInfo(entry).LinkTarget is null) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
        CopyTree(saved, root, order);
    }

    /// <summary>Copies a tree; with <paramref name="order"/>, entries are created in a shuffled order.</summary>
    private static void CopyTree(string from, string to, Random? order)
    {
        Directory.CreateDirectory(to);
        var entries = Directory.GetFileSystemEntries(from);
        if (order is not null) entries = [.. entries.OrderBy(_ => order.Next())];
        foreach (var entry in entries)
        {
            var target = Path.Combine(to, Path.GetFileName(entry));
            if (Directory.Exists(entry)) CopyTree(entry, target, order);
            else File.Copy(entry, target, overwrite: true);
        }
    }
}
