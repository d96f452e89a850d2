using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing;

/// <summary>
/// Says in a failed sandboxed test's message what the sandbox denied and which [Sandboxed] property or sandlock.toml
/// key allows it: the test's own exception (UnauthorizedAccessException, a SocketException's "Permission denied")
/// does not tell a denial from a missing file, and the supervisor's record alone sits in the output. Every result
/// also carries the supervisor's record in its output.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class DenialNotes
{
    public static ChildTestResult Add(ChildTestResult result, SandboxResult run, SandboxPolicy policy, string? policyFile)
    {
        if (run.Denials.Count > 0)
            result = result with { Output = result.Output + string.Concat(run.Denials.Select(d => $"\nsandlock denied: {d}")) };
        if (result.Outcome != TestOutcome.Failed || result.Failures.Count == 0) return result;

        var finding = result.Failures.Select(f => DeniedAccess.InspectAll($"{f.ExceptionType}: {f.Message}", policy)).FirstOrDefault(f => f is not null)
            ?? DeniedAccess.InspectAll(result.Output, policy);
        // The supervisor's record names the exact destination and rule: it beats what a message suggests.
        var recorded = run.Denials.FirstOrDefault();
        var words = PolicyVocabulary.SandboxedAttribute(policyFile);
        var explanation = recorded is not null && (finding is null || finding.What != DeniedAccess.Kind.File)
            ? DeniedAccess.Explain(recorded, words)
            : finding is not null ? DeniedAccess.Explain(finding, words) : null;
        if (explanation is null) return result;
        TestFailureDetail[] failures = [.. result.Failures];
        failures[0] = failures[0] with { Message = $"{failures[0].Message}\nSandlock: {explanation}" };
        return result with { Failures = failures };
    }
}
