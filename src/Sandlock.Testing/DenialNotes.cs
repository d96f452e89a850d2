using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing;

/// <summary>
/// Says in a failed sandboxed test's message what the sandbox denied and which [Sandboxed] property or sandlock.toml
/// key allows it: the test's own exception (UnauthorizedAccessException, a SocketException's "Permission denied")
/// does not tell a denial from a missing file, and the supervisor's record alone sits in the output. Every result
/// also carries the supervisor's record in its output. A passing test the sandbox refused a file fails: its code
/// may have swallowed the refusal and so tested something else.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class DenialNotes
{
    public static ChildTestResult Add(ChildTestResult result, SandboxResult run, SandboxPolicy policy, string? policyFile, IReadOnlyList<string> acceptedDenials)
    {
        if (run.Denials.Count > 0)
            result = result with { Output = result.Output + string.Concat(run.Denials.Select(d => $"\nsandlock denied: {d}")) };
        if (result.Outcome == TestOutcome.Passed && RefusedFiles(run, acceptedDenials) is [_, ..] refused)
            return PassedDespite(result, refused, policyFile);
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

    /// <summary>The files the sandbox refused, once each, but for those under an accepted path.</summary>
    private static List<Denial> RefusedFiles(SandboxResult run, IReadOnlyList<string> acceptedDenials) =>
        [.. run.Denials.Where(d => d.FilePath is { } path && !acceptedDenials.Any(a => PathTree.IsSameOrUnder(path, a)))
            .DistinctBy(d => (d.FilePath, d.FileWrite))];

    private static ChildTestResult PassedDespite(ChildTestResult result, List<Denial> refused, string? policyFile)
    {
        var words = PolicyVocabulary.SandboxedAttribute(policyFile);
        var message = "the test passed, but the sandbox refused it a file, which its code may have swallowed:\n"
            + string.Join('\n', refused.Select(d => DeniedAccess.Explain(d, words)))
            + $"\nA refusal that is expected (a harmless probe) does not fail the test once its path is in AcceptDenied on [Sandboxed], e.g. AcceptDenied = [\"{refused[0].FilePath}\"].";
        return result with
        {
            Outcome = TestOutcome.Failed,
            FrameworkOutcome = null,
            Failures = [new TestFailureDetail("Sandlock.SandboxDenial", message, null)],
        };
    }
}
