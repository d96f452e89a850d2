using System.Globalization;
using System.Text.RegularExpressions;
using Sandlock.Policy;
using Sandlock.Policy.Files;
using Sandlock.Policy.Settings;

namespace Sandlock.Lifecycle;

/// <summary>
/// Spots, in a failed command's output or a failed test's message, the sandbox refusing a file or a TCP connection,
/// and says which setting allows it. Landlock makes the call fail with EACCES (EPERM for seccomp) and records
/// nothing, so the evidence is the program's own words: a tool's "Permission denied" line, .NET's
/// UnauthorizedAccessException or SocketException. The one text every front door shows (SLK0001, a sandboxed
/// test's failure), in each front door's own words (<see cref="PolicyVocabulary"/>).
/// </summary>
internal static partial class DeniedAccess
{
    public enum Kind { File, Network, Processes, NameLookup }

    public sealed record Finding(Kind What, string Target, string Line);

    [GeneratedRegex(@"'?(?<path>/[^\s':""]*)'?: (?:Permission denied|Operation not permitted)")]
    private static partial Regex FileDenied();

    [GeneratedRegex(@"Access to the path '(?<path>/[^']*)' is denied")]
    private static partial Regex DotnetFileDenied();

    [GeneratedRegex(@"(?:connect|bind): (?:Permission denied|Operation not permitted)|/dev/tcp/[^/\s]+/(?<port>\d+): Permission denied")]
    private static partial Regex SocketDenied();

    // HttpRequestException adds the destination; a bare SocketException names none.
    [GeneratedRegex(@"Permission denied \((?:\[[^\]]*\]|[^\s:()]*):(?<port>\d+)\)|SocketException(?: \(13\))? ?: Permission denied")]
    private static partial Regex DotnetSocketDenied();

    [GeneratedRegex(@"Failed to connect to \S+ port (?<port>\d+)")]
    private static partial Regex CurlConnectFailed();

    // A name lookup that found no DNS: a sandbox without a UDP rule cannot make a datagram socket, which the kernel
    // refuses without a record. curl, Node, .NET (HttpRequestException adds host and port), glibc's own words.
    [GeneratedRegex(@"Could not resolve host: (?<host>[^\s;,()]+)|getaddrinfo (?:EAI_AGAIN|ENOTFOUND) (?<host>[^\s:]+)|(?:Resource temporarily unavailable|Name or service not known|Temporary failure in name resolution) \((?<host>[^\s:()\[\]]+):(?<port>\d+)\)|(?<host>[A-Za-z0-9][\w.-]*\.[A-Za-z]{2,}): (?:Temporary failure in name resolution|Name or service not known)|Temporary failure in name resolution|Name or service not known")]
    private static partial Regex NameLookupFailed();

    // A shell's or a runtime's words for EAGAIN from fork/clone: under RLIMIT_NPROC (an unprivileged sandbox) the
    // kernel records nothing, so this is the only evidence of the process limit.
    [GeneratedRegex(@"Cannot fork|fork(?:\(\))?: Resource temporarily unavailable|pthread_create failed|OutOfMemoryException: Thread failed to start")]
    private static partial Regex ForkRefused();

    /// <summary>What the line shows the sandbox denied, or null. A connect to a port the policy allows is not a denial.</summary>
    public static Finding? Inspect(string line, SandboxPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(policy);
        if (SocketDenied().Match(line) is { Success: true } socket)
            return new Finding(Kind.Network, socket.Groups["port"].Success ? socket.Groups["port"].Value : "", line.Trim());
        if (DotnetSocketDenied().Match(line) is { Success: true } dotnet && !Allowed(policy, dotnet.Groups["port"].Value))
            return new Finding(Kind.Network, dotnet.Groups["port"].Success ? dotnet.Groups["port"].Value : "", line.Trim());
        if (CurlConnectFailed().Match(line) is { Success: true } curl && !Allowed(policy, curl.Groups["port"].Value))
            return new Finding(Kind.Network, curl.Groups["port"].Value, line.Trim());
        if (!policy.NetAllow.Any(rule => rule.Protocol == NetProtocol.Udp) && NameLookupFailed().Match(line) is { Success: true } lookup)
            return new Finding(Kind.NameLookup, lookup.Groups["host"].Success ? lookup.Groups["host"].Value + ":" + (lookup.Groups["port"].Success ? lookup.Groups["port"].Value : "PORT") : "", line.Trim());
        if (policy.MaxProcesses is { } limit && ForkRefused().IsMatch(line))
            return new Finding(Kind.Processes, limit.ToString(CultureInfo.InvariantCulture), line.Trim());
        if (DotnetFileDenied().Match(line) is { Success: true } access)
            return new Finding(Kind.File, access.Groups["path"].Value, line.Trim());
        if (FileDenied().Match(line) is { Success: true } file && !file.Groups["path"].Value.StartsWith("/dev/tcp/", StringComparison.Ordinal))
            return new Finding(Kind.File, file.Groups["path"].Value, line.Trim());
        return null;
    }

    /// <summary>The first denial in <paramref name="text"/>, line by line, or null.</summary>
    public static Finding? InspectAll(string text, SandboxPolicy policy) =>
        text.Split('\n').Select(line => Inspect(line, policy)).FirstOrDefault(f => f is not null);

    private static bool Allowed(SandboxPolicy policy, string port) =>
        ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var p) &&
        policy.NetAllow.Any(rule => rule.Ports.Contains(p));

    /// <summary>What was denied and which setting or policy-file line would allow it.</summary>
    public static string Explain(Finding finding, PolicyVocabulary words)
    {
        ArgumentNullException.ThrowIfNull(finding);
        ArgumentNullException.ThrowIfNull(words);
        if (finding.What == Kind.Processes)
            return $"the sandbox denied fork over the process limit ({PolicySettings.MaxProcesses.Name} {finding.Target}: \"{finding.Line}\"); to allow it, raise {Raise(PolicySettings.MaxProcesses, words)}";
        if (finding.What == Kind.NameLookup)
            // A host rule puts the name in the sandbox's own /etc/hosts; a port-only rule allows addresses, not names.
            return $"the sandbox has no DNS: a host name could not be looked up (\"{finding.Line}\"); to allow {(finding.Target.Length > 0 ? finding.Target : "a host")}, " +
                $"{Allow(PolicySettings.NetAllow, finding.Target.Length > 0 ? finding.Target : "HOST:PORT", words)} (a rule with the host's name lets the sandbox find it; a port alone allows addresses, not names)";
        if (finding.What == Kind.Network)
        {
            var port = finding.Target.Length > 0 ? finding.Target : "PORT";
            return $"the sandbox denied a TCP connection{(finding.Target.Length > 0 ? $" to port {port}" : "")} (\"{finding.Line}\"); to allow it, {Allow(PolicySettings.NetAllow, $":{port}", words)}";
        }
        return $"the sandbox denied access to {finding.Target} (\"{finding.Line}\"); to allow it, {Allow(PolicySettings.FsRead, finding.Target, words, PolicySettings.FsWrite)}";
    }

    /// <summary>The text for a denial the supervisor recorded (files, network destinations, limits).</summary>
    public static string Explain(Denial denial, PolicyVocabulary words)
    {
        ArgumentNullException.ThrowIfNull(denial);
        ArgumentNullException.ThrowIfNull(words);
        if (denial.FilePath is { } file) return ExplainFile(denial, file, words);
        var where = denial.Syscall switch
        {
            "memory" => $"raise {Raise(PolicySettings.MaxMemory, words)}",
            // Only port remapping binds on the child's behalf; no front door but the policy file has a bind setting.
            "bind" => $"add its port to {InPolicyFile(PolicySettings.NetAllowBind, words)}",
            "fork" => $"raise {Raise(PolicySettings.MaxProcesses, words)}",
            "connect" or "sendto" or "sendmsg" or "sendmmsg" when IsNetworkDestination(denial.Target) => words.Door == FrontDoor.PolicyFile
                ? $"add a rule for it to {InPolicyFile(PolicySettings.NetAllow, words)}"
                : words.PolicyFile is null
                    ? $"add {words.Rule(PolicySettings.NetAllow)} for it, or a rule to {InPolicyFile(PolicySettings.NetAllow, words)}"
                    : $"add a rule for it to {InPolicyFile(PolicySettings.NetAllow, words)}, or {words.Rule(PolicySettings.NetAllow)}",
            // "METHOD HOST/PATH" is the rule that allows exactly that request; a refused TLS handshake says why in its rule.
            "http" when !denial.Target.StartsWith("TLS ", StringComparison.Ordinal) => Allow(PolicySettings.HttpAllow, denial.Target, words),
            // The rest (the /proc view, process groups, other processes, unix sockets, mounts) says in its rule why.
            _ => null,
        };
        var what = $"the sandbox denied {denial.Syscall} {denial.Target} ({denial.Rule})";
        return where is null ? what : $"{what}; to allow it, {where}";
    }

    /// <summary>How to add <paramref name="value"/> to a list setting: in the front door and in the policy file.</summary>
    private static string Allow(PolicySetting setting, string value, PolicyVocabulary words, PolicySetting? orElse = null)
    {
        var (section, key) = setting.FileKey!.Value;
        var alternative = orElse?.FileKey is var (_, otherKey) ? $" (or {otherKey})" : "";
        if (words.PolicyFile is { } file)
        {
            var inFile = $"add \"{value}\" to {key}{alternative} under [{section}] in {FileLine(file, section, key)}";
            return words.Door == FrontDoor.PolicyFile ? inFile : $"{inFile}, or {words.Add(setting, value, orElse, "to write")}";
        }
        var inDoor = words.Add(setting, value, orElse, "to write");
        return words.Door == FrontDoor.PolicyFile ? inDoor : $"{inDoor}, or {PolicyVocabulary.InFile(setting, value)} in {NewPolicyFile(words)}";
    }

    /// <summary>A limit in the front door, and in a policy file when the door is not one.</summary>
    private static string Raise(PolicySetting setting, PolicyVocabulary words) =>
        words.Door == FrontDoor.PolicyFile ? words.Name(setting) : $"{words.Name(setting)}, or {setting.NameIn(FrontDoor.PolicyFile)}";

    private static string InPolicyFile(PolicySetting setting, PolicyVocabulary words)
    {
        var (section, key) = setting.FileKey!.Value;
        return words.PolicyFile is { } file
            ? $"{key} under [{section}] in {FileLine(file, section, key)}"
            : words.Door == FrontDoor.PolicyFile ? words.Name(setting) : $"{key} under [{section}] in {NewPolicyFile(words)}";
    }

    /// <summary>Where a front door without a policy file would read one from.</summary>
    private static string NewPolicyFile(PolicyVocabulary words) =>
        words.Door == FrontDoor.CommandLine ? "a policy file given with --profile-file" : "a sandlock.toml beside the project";

    /// <summary>
    /// A refused read names the file; a refused write names its folder, as a file not yet made has no rule of its own.
    /// </summary>
    private static string ExplainFile(Denial denial, string file, PolicyVocabulary words)
    {
        var where = denial.FileWrite
            ? Allow(PolicySettings.FsWrite, Path.GetDirectoryName(file) ?? file, words)
            : Allow(PolicySettings.FsRead, file, words, PolicySettings.FsWrite);
        return $"the sandbox denied access to {file} ({(denial.FileWrite ? "a write" : "a read")}: {denial.Syscall}, pid {denial.Pid}); to allow it, {where}";
    }

    private static bool IsNetworkDestination(string target) =>
        target.StartsWith("tcp ", StringComparison.Ordinal) || target.StartsWith("udp ", StringComparison.Ordinal)
        || target.StartsWith("icmp ", StringComparison.Ordinal);

    private static string FileLine(string path, string section, string key) =>
        PolicyFileLocations.LineOf(path, section, key) is > 0 and var line ? $"{path}({line})" : path;
}
