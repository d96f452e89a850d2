using System.Globalization;
using System.Text.RegularExpressions;
using Sandlock.Policy;

namespace Sandlock.Build;

/// <summary>
/// Spots, in a failed step's output, the sandbox refusing a file or a TCP connection. Landlock makes the call fail
/// with EACCES (EPERM for seccomp), so the evidence is the tool's own "Permission denied" line.
/// </summary>
internal static partial class DeniedAccess
{
    public enum Kind { File, Network }

    public sealed record Finding(Kind What, string Target, string Line);

    [GeneratedRegex(@"'?(?<path>/[^\s':""]*)'?: (?:Permission denied|Operation not permitted)")]
    private static partial Regex FileDenied();

    [GeneratedRegex(@"(?:connect|bind): (?:Permission denied|Operation not permitted)|/dev/tcp/[^/\s]+/(?<port>\d+): Permission denied")]
    private static partial Regex SocketDenied();

    [GeneratedRegex(@"Failed to connect to \S+ port (?<port>\d+)")]
    private static partial Regex CurlConnectFailed();

    /// <summary>What the line shows the sandbox denied, or null. A connect to a port the policy allows is not a denial.</summary>
    public static Finding? Inspect(string line, SandboxPolicy policy)
    {
        if (SocketDenied().Match(line) is { Success: true } socket)
            return new Finding(Kind.Network, socket.Groups["port"].Success ? socket.Groups["port"].Value : "", line.Trim());
        if (CurlConnectFailed().Match(line) is { Success: true } curl && !Allowed(policy, curl.Groups["port"].Value))
            return new Finding(Kind.Network, curl.Groups["port"].Value, line.Trim());
        if (FileDenied().Match(line) is { Success: true } file && !file.Groups["path"].Value.StartsWith("/dev/tcp/", StringComparison.Ordinal))
            return new Finding(Kind.File, file.Groups["path"].Value, line.Trim());
        return null;
    }

    private static bool Allowed(SandboxPolicy policy, string port) =>
        ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) &&
        policy.NetAllow.Any(rule => rule.Ports.Contains(p));

    /// <summary>The SLK0001 text: what was denied and which parameter or policy-file line would allow it.</summary>
    public static string Explain(Finding finding, string? policyFile)
    {
        if (finding.What == Kind.Network)
        {
            var port = finding.Target.Length > 0 ? finding.Target : "PORT";
            var where = policyFile is null
                ? $"add NetAllow=\":{port}\" to the task, or allow = [\":{port}\"] under [network] in a sandlock.toml beside the project"
                : $"add \":{port}\" to allow under [network] in {FileLine(policyFile, "network", "allow")}, or NetAllow=\":{port}\" to the task";
            return $"the sandbox denied a TCP connection{(finding.Target.Length > 0 ? $" to port {port}" : "")} (\"{finding.Line}\"); to allow it, {where}";
        }
        var fileWhere = policyFile is null
            ? $"add ReadPaths=\"{finding.Target}\" (or WritePaths to write) to the task, or read = [\"{finding.Target}\"] under [filesystem] in a sandlock.toml beside the project"
            : $"add \"{finding.Target}\" to read (or write) under [filesystem] in {FileLine(policyFile, "filesystem", "read")}, or ReadPaths/WritePaths to the task";
        return $"the sandbox denied access to {finding.Target} (\"{finding.Line}\"); to allow it, {fileWhere}";
    }

    /// <summary>The SLK0001 text for a denial the supervisor recorded (network destinations, limits).</summary>
    public static string Explain(Supervision.Denial denial, string? policyFile)
    {
        var where = denial.Syscall switch
        {
            "memory" => "raise MaxMemory on the task, or memory under [limits]",
            // Only port remapping binds on the child's behalf; the task has no bind parameter.
            "bind" => policyFile is null
                ? "add its port to allow_bind under [network] in a sandlock.toml beside the project"
                : $"add its port to allow_bind under [network] in {FileLine(policyFile, "network", "allow_bind")}",
            "fork" => "raise MaxProcesses on the task, or processes under [limits]",
            _ => policyFile is null
                ? "add a NetAllow rule for it to the task, or to allow under [network] in a sandlock.toml beside the project"
                : $"add a rule for it to allow under [network] in {FileLine(policyFile, "network", "allow")}, or NetAllow to the task",
        };
        return $"the sandbox denied {denial.Syscall} {denial.Target} ({denial.Rule}); to allow it, {where}";
    }

    private static string FileLine(string path, string section, string key) =>
        PolicyFileLocations.LineOf(path, section, key) is > 0 and var line ? $"{path}({line})" : path;
}
