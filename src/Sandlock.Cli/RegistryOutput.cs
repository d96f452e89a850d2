using System.Globalization;
using System.Text.Json;
using Sandlock.Lifecycle.Registry;
using Sandlock.Policy;

namespace Sandlock.Cli;

/// <summary>How ps, inspect and kill print sandboxes; every value a sandbox chose (name, command) is kept to one line.</summary>
internal static class RegistryOutput
{
    // Indented for people; the same generated metadata as the wire format, so no reflection.
    private static readonly RegistryJson Indented = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    });

    public static string Json(SandboxDetails sandbox) => JsonSerializer.Serialize(sandbox, Indented.SandboxDetails);

    public static string Json(IReadOnlyList<SandboxDetails> sandboxes) => JsonSerializer.Serialize(sandboxes, Indented.IReadOnlyListSandboxDetails);

    public static string Text(string value) => DisplayText.OneLine(value);

    public static string Command(IReadOnlyList<string> command) => Text(string.Join(' ', command));

    public static string Label(SandboxDetails sandbox) => sandbox.Name is { } name ? $"{sandbox.Id} ({Text(name)})" : sandbox.Id;

    public static string Uptime(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Max(0, seconds));
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes:00}m"
            : span.TotalMinutes >= 1 ? $"{span.Minutes}m{span.Seconds:00}s"
            : $"{span.Seconds}s";
    }

    public static string Number(long n) => n.ToString(CultureInfo.InvariantCulture);
}
