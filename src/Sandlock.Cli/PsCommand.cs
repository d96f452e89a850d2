using System.CommandLine;
using Sandlock.Lifecycle.Registry;

namespace Sandlock.Cli;

/// <summary>
/// <c>sandlock ps [--json]</c>: the user's running sandboxes, from every process that started one. It also removes the
/// temp folders of runs that were killed (a <c>sandlock run</c> does not look, to keep its start short).
/// </summary>
internal static class PsCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print them as JSON" };
        var command = new Command("ps", "List running sandboxes") { json };
        command.SetAction(parsed => Print(parsed.GetValue(json)));
        return command;
    }

    private static int Print(bool json)
    {
        IReadOnlyList<SandboxDetails> sandboxes;
        try { sandboxes = RegistryClient.List(); }
        catch (RegistryException e) { return ExitCodes.Fail(e.Message, 1); }

        // After the listing: a run killed since has its folder swept too.
        try { Sandlock.Interop.TempFolderOwnership.Sweep(Path.GetTempPath()); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* a temp directory that cannot be listed */ }
        if (json)
        {
            Console.WriteLine(RegistryOutput.Json(sandboxes));
            return 0;
        }
        var rows = new List<string[]> { new[] { "ID", "NAME", "PID", "UPTIME", "DENIALS", "POLICY", "COMMAND" } };
        rows.AddRange(sandboxes.Select(s => new[]
        {
            s.Id, RegistryOutput.Text(s.Name ?? "-"), RegistryOutput.Number(s.Pid), RegistryOutput.Uptime(s.UptimeSeconds),
            RegistryOutput.Number(s.DenialCount), s.PolicySummary, RegistryOutput.Command(s.Command),
        }));
        var widths = Enumerable.Range(0, rows[0].Length - 1).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var row in rows)
            Console.WriteLine(string.Join("  ", row.Select((cell, c) => c < widths.Length ? cell.PadRight(widths[c]) : cell)));
        return 0;
    }
}
