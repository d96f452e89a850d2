using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Sandlock.Policy.Files;

namespace Sandlock.Policy.Learning;

/// <summary>A learned policy file's text, and what it leaves out that the run used (each also a comment in the text).</summary>
internal sealed record LearnedPolicy(string Text, IReadOnlyList<string> NotGranted);

/// <summary>
/// Writes a <c>sandlock.toml</c> (docs/policy-file.md) that lets an observed run pass and as little else as it can:
/// the paths of <see cref="PathGrants"/>, a network allow line per destination, the ports bound, and limits from the
/// peaks with headroom. Every line carries a comment saying which program used it and how.
/// </summary>
internal static class LearnedPolicyWriter
{
    /// <summary>Files and programs named in a grant's comment; the rest are counted.</summary>
    private const int NamedPerGrant = 3;

    /// <summary>Limits leave room above what one run needed: twice its peak, with a floor for small runs.</summary>
    private const long MemoryFloor = 64L << 20;
    private const int ProcessesFloor = 16;

    public static LearnedPolicy Write(ObservedRun run, ProtectedFolders protectedFolders)
    {
        ArgumentNullException.ThrowIfNull(run);
        var text = new StringBuilder();
        var notGranted = new List<string>();
        if (run.Commands.Count == 1)
            text.Append("# Learned by `sandlock learn` from one run of: ").AppendLine(Comment(CommandLine(run.Commands[0])));
        else
        {
            text.AppendLine("# Learned by `sandlock learn` from one run each of:");
            foreach (var command in run.Commands) text.Append("#   ").AppendLine(Comment(CommandLine(command)));
        }
        text.Append("# It grants what ").Append(run.Commands.Count == 1 ? "that run" : "those runs").AppendLine(" used and little else; review it before relying on it.");
        text.AppendLine("# Folders that hold far more than a run needs are never granted whole, secret-looking files never (docs/learn.md).");
        if (run.Truncated)
        {
            const string cut = "the run used more paths or destinations than are recorded: this file is incomplete";
            notGranted.Add(cut);
            text.Append("# WARNING: ").AppendLine(cut);
        }
        if (run.Programs.Count > 0) text.Append("# Programs started: ").AppendLine(Comment(string.Join(", ", run.Programs.Distinct())));

        var (grants, refused) = PathGrants.From(run.Paths, protectedFolders);
        text.AppendLine().AppendLine("[filesystem]");
        var reads = grants.Where(g => !g.Write).Select(g => (TomlString.Quote(g.Path), Why(g))).ToList();
        // An empty list would leave every read open.
        if (reads.Count == 0) reads.Add((TomlString.Quote(StandardDevices.Paths[0]), "keeps reads confined: an empty read list would leave every file readable"));
        List(text, "read", reads);
        List(text, "write", grants.Where(g => g.Write).Select(g => (TomlString.Quote(g.Path), Why(g))));
        foreach (var refusal in refused.DistinctBy(r => (r.Use.Path, r.Use.Entry, r.Use.Use)))
        {
            var what = $"{Verb(refusal.Use.Use)} by {refusal.Use.Program}: {Named(refusal.Use)}: {refusal.Why}";
            notGranted.Add(what);
            text.Append("# not granted: ").AppendLine(Comment(what));
        }

        text.AppendLine().AppendLine("[network]");
        var allow = run.Destinations.GroupBy(d => (d.Protocol, d.Address)).OrderBy(g => g.Key.Protocol).ThenBy(g => g.Key.Address.ToString(), StringComparer.Ordinal)
            .Select(destination =>
            {
                var (protocol, address) = destination.Key;
                var host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
                var prefix = protocol == NetProtocol.Tcp ? "" : protocol.ToString().ToLowerInvariant() + "://";
                var ports = protocol == NetProtocol.Icmp ? "" : ":" + string.Join(',', destination.Select(d => d.Port).Distinct().Order());
                var verb = protocol == NetProtocol.Tcp ? "connected" : "sent";
                return (TomlString.Quote(prefix + host + ports), $"{verb} by {Programs(destination.Select(d => d.Program))}");
            });
        List(text, "allow", allow);
        var tcpBinds = run.Binds.Where(b => b.Protocol == NetProtocol.Tcp).ToList();
        List(text, "allow_bind", tcpBinds.Where(b => b.Port != 0).GroupBy(b => b.Port).OrderBy(g => g.Key)
            .Select(bind => (bind.Key.ToString(CultureInfo.InvariantCulture), $"bound by {Programs(bind.Select(b => b.Program))}")));
        if (tcpBinds.FirstOrDefault(b => b.Port == 0) is { } ephemeral)
        {
            var what = $"bound by {ephemeral.Program}: a TCP port the kernel picks (port 0), which a policy file cannot name";
            notGranted.Add(what);
            text.Append("# not granted: ").AppendLine(what);
        }

        text.AppendLine().AppendLine("[limits]");
        var memory = RoundUpToMebibytes(Math.Max(Math.Max(2 * run.PeakResidentBytes, run.PeakProcessDataBytes + run.PeakProcessDataBytes / 4), MemoryFloor));
        text.Append("memory = ").Append(TomlString.Quote($"{memory >> 20}M"))
            .Append("  # peak ").Append(Mebibytes(run.PeakResidentBytes)).Append(" resident in all, ")
            .Append(Mebibytes(run.PeakProcessDataBytes)).AppendLine(" private memory in one process; twice that or more");
        var processes = Math.Max(2 * run.PeakTasks, ProcessesFloor);
        text.Append("processes = ").Append(processes.ToString(CultureInfo.InvariantCulture))
            .Append("  # peak ").Append(run.PeakTasks.ToString(CultureInfo.InvariantCulture)).AppendLine(" tasks at once (threads count); twice that or more");
        return new LearnedPolicy(text.ToString(), notGranted);
    }

    /// <summary>An array of values, one a line with its reason as a comment; <c>[]</c> when empty.</summary>
    private static void List(StringBuilder text, string key, IEnumerable<(string Value, string Why)> lines)
    {
        var all = lines.ToList();
        if (all.Count == 0)
        {
            text.Append(key).AppendLine(" = []");
            return;
        }
        text.Append(key).AppendLine(" = [");
        foreach (var (value, why) in all) text.Append("  ").Append(value).Append(",  # ").AppendLine(Comment(why));
        text.AppendLine("]");
    }

    private static string Why(PathGrant grant) =>
        string.Join("; ", grant.Uses.GroupBy(u => Verb(u.Use)).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var names = g.Select(u => Relative(Named(u), grant.Path)).Where(n => n.Length > 0).Distinct().ToList();
            var listed = names.Count == 0 ? "" : ": " + string.Join(", ", names.Take(NamedPerGrant)) + (names.Count > NamedPerGrant ? $" and {names.Count - NamedPerGrant} more" : "");
            return $"{g.Key} by {Programs(g.Select(u => u.Program))}{listed}";
        }));

    private static string Verb(PathUse use) => use switch
    {
        PathUse.Read => "read",
        PathUse.List => "listed",
        PathUse.Execute => "executed",
        PathUse.Modify => "written",
        _ => "changed",
    };

    private static string Named(ObservedPath use) => use.Entry is null ? use.Path : $"{use.Path.TrimEnd('/')}/{use.Entry}";

    private static string Relative(string path, string grant) =>
        path == grant ? "" : PathTree.IsSameOrUnder(path, grant) ? path[(grant == "/" ? 1 : grant.Length + 1)..] : path;

    private static string Programs(IEnumerable<string> programs)
    {
        var names = programs.Distinct().Order(StringComparer.Ordinal).ToList();
        return string.Join(", ", names.Take(NamedPerGrant)) + (names.Count > NamedPerGrant ? $" and {names.Count - NamedPerGrant} more" : "");
    }

    private static long RoundUpToMebibytes(long bytes) => (bytes + (1L << 20) - 1) >> 20 << 20;

    private static string Mebibytes(long bytes) => $"{(bytes / (double)(1 << 20)).ToString("0.#", CultureInfo.InvariantCulture)}M";

    private static string CommandLine(IReadOnlyList<string> command) => string.Join(' ', command.Select(ShellWord));

    /// <summary>An argument as a shell would need it written: quoted when it holds anything but plain characters.</summary>
    private static string ShellWord(string word) =>
        word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,+@%".Contains(c)) ? word : "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Comment text on one line: a path or argument with a line break must not end the comment early.</summary>
    private static string Comment(string text) => DisplayText.OneLine(text);
}
