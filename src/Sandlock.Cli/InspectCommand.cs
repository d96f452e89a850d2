using System.CommandLine;
using Sandlock.Lifecycle.Registry;

namespace Sandlock.Cli;

/// <summary><c>sandlock inspect ID|NAME [--json]</c>: one running sandbox in full.</summary>
internal static class InspectCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("sandbox") { Description = "The sandbox's id, or its name if no other running sandbox has it" };
        var json = new Option<bool>("--json") { Description = "Print it as JSON" };
        var command = new Command("inspect", "Show a running sandbox: policy, processes, denials, port mappings, held syscalls") { target, json };
        command.SetAction(parsed => Print(parsed.GetValue(target)!, parsed.GetValue(json)));
        return command;
    }

    private static int Print(string target, bool json)
    {
        SandboxDetails s;
        try { s = RegistryClient.Inspect(target); }
        catch (RegistryException e) { return ExitCodes.Fail(e.Message, 1); }

        if (json)
        {
            Console.WriteLine(RegistryOutput.Json(s));
            return 0;
        }
        Console.WriteLine($"id: {s.Id}");
        Console.WriteLine($"name: {RegistryOutput.Text(s.Name ?? "-")}");
        Console.WriteLine($"pid: {s.Pid} (started by pid {s.OwnerPid})");
        Console.WriteLine($"command: {RegistryOutput.Command(s.Command)}");
        Console.WriteLine($"started: {s.Started:O} (up {RegistryOutput.Uptime(s.UptimeSeconds)})");
        Console.WriteLine("policy:");
        foreach (var setting in s.Policy ?? []) Console.WriteLine($"  {setting.Key} = {RegistryOutput.Text(setting.Value)}");
        Console.WriteLine("processes:");
        foreach (var process in s.Processes ?? []) Console.WriteLine($"  {process.Pid} (parent {process.ParentPid}): {RegistryOutput.Text(process.Command)}");
        Section("denials", s.Denials);
        Section("port mappings", s.PortMappings);
        Section("held syscalls", s.HeldSyscallCounts?.OrderByDescending(c => c.Value).Select(c => $"{c.Key}: {c.Value}").ToList());
        return 0;
    }

    private static void Section(string title, IReadOnlyList<string>? lines)
    {
        if (lines is not { Count: > 0 })
        {
            Console.WriteLine($"{title}: none");
            return;
        }
        Console.WriteLine($"{title}:");
        foreach (var line in lines) Console.WriteLine($"  {RegistryOutput.Text(line)}");
    }
}
