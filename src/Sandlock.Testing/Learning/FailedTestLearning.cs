using System.Text;
using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Policy.Learning;
using Sandlock.Supervision.Learning;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Learning;

/// <summary>
/// Learn mode of [Sandboxed] tests (<see cref="Variable"/> names a folder): a test that fails confined runs once more,
/// observed and without its filesystem rules, and what it used is written to FOLDER/TEST.toml, a policy file that
/// lets it pass; its failure message names the file. Learning runs each test in a child of its own.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class FailedTestLearning
{
    public const string Variable = "SANDLOCK_LEARN_TESTS";

    private const int MaxFileNameLength = 150;

    /// <summary>The folder learned policies go to; null when learn mode is off.</summary>
    public static string? Folder => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } folder ? Path.GetFullPath(folder) : null;

    /// <summary>
    /// The results, with each failure's message naming the learned file (or why none could be written), when any
    /// failed; unchanged otherwise. <paramref name="provided"/>: what the test policy always grants (its temp folder).
    /// </summary>
    public static async Task<IReadOnlyList<ChildTestResult>> LearnAsync(IReadOnlyList<ChildTestResult> results, string folder, SandboxPolicy policy,
        IReadOnlyList<string> command, TimeSpan? timeout, string testFullName, IReadOnlyList<string> provided, CancellationToken cancellationToken)
    {
        if (!results.Any(r => r.Outcome == TestOutcome.Failed)) return results;
        string note;
        try
        {
            var (_, observed) = await LearningRun.RunAsync(RunObservation.WithoutFilesystemRules(policy), command, timeout, cancellationToken).ConfigureAwait(false);
            observed = observed with
            {
                Commands = [[testFullName]],
                Paths = [.. observed.Paths.Where(p => !provided.Any(path => PathTree.IsSameOrUnder(p.Path, path)))],
            };
            var learned = LearnedPolicyWriter.Write(observed, ProtectedFolders.ForCurrentUser());
            Directory.CreateDirectory(folder);
            var file = Path.Combine(folder, FileName(testFullName) + ".toml");
            await File.WriteAllTextAsync(file, learned.Text, cancellationToken).ConfigureAwait(false);
            note = $"Sandlock learn: what the test used, run again without its filesystem rules, is in {file}";
            if (learned.NotGranted.Count > 0) note += $" (not granted there: {string.Join("; ", learned.NotGranted)})";
        }
        catch (SandboxSetupException e)
        {
            note = $"Sandlock learn: the test could not run again observed: {e.Message}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            note = $"Sandlock learn: the learned policy could not be written to {folder}: {e.Message}";
        }
        return [.. results.Select(r => r.Outcome != TestOutcome.Failed || r.Failures.Count == 0 ? r
            : r with { Failures = [r.Failures[0] with { Message = $"{r.Failures[0].Message}\n{note}" }, .. r.Failures.Skip(1)] })];
    }

    /// <summary>A file name from a test's full name: letters, digits, '.', '-' and '_' kept, the rest '_'.</summary>
    internal static string FileName(string testFullName)
    {
        var name = new StringBuilder(testFullName.Length);
        foreach (var c in testFullName) name.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_');
        var text = name.ToString().TrimStart('.');
        return text.Length == 0 ? "test" : text.Length > MaxFileNameLength ? text[..MaxFileNameLength] : text;
    }
}
