using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sandlock.Build.Sessions;

/// <summary>
/// The composed policies of a build's routed steps, by everything a composition reads: the project's settings, the
/// task's parameters, the policy file's path, size and last write, the working directory, Exec's and the node's
/// environment, and whether each project folder the defaults name exists. A step whose inputs match an earlier
/// step's skips parsing the file, composing and serializing (about 0.5-0.9 ms of a warm step); any change is a new
/// entry. What the defaults read from the system (which of /usr, /lib, ... and of the credential files under /etc
/// exist, the user's git configuration) is taken as fixed for one build: the cache goes with the build.
/// </summary>
internal sealed class ComposedSteps
{
    // Bounded: a build whose steps all differ (generated parameters) would otherwise keep every composition.
    private const int MaxEntries = 64;

    private readonly Dictionary<string, ComposedStep> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The step's composition, from <paramref name="compose"/> when its inputs are new; throws what it throws.</summary>
    public ComposedStep For(string inputs, Func<ComposedStep> compose)
    {
        lock (_gate)
            if (_entries.TryGetValue(inputs, out var known)) return known;
        // Outside the gate: another project's step on a node running tasks side by side (yielded steps) need not wait.
        var composed = compose();
        lock (_gate)
        {
            if (_entries.Count >= MaxEntries) _entries.Clear();
            _entries[inputs] = composed;
        }
        return composed;
    }

    /// <summary>The entry of a composition: <paramref name="keyPolicy"/> serialized, the session's key.</summary>
    public static string SessionKeyOf(SandboxPolicy keyPolicy) => JsonSerializer.Serialize(keyPolicy);

    /// <summary>Everything <see cref="StepPolicy.Compose"/> reads for a session step, as one string.</summary>
    public static string InputsOf(ProjectSettings project, string? policyFile, IReadOnlyList<(string Name, string Value)> parameters,
        StepPolicy.Step step)
    {
        var text = new StringBuilder(4096);
        void Field(string? value) => text.Append(value?.Length ?? -1).Append(':').Append(value).Append('\n');

        Field(project.ProjectDirectory);
        Field(project.RepositoryRoot);
        Field(Existence(project.RepositoryRoot));
        Field(Existence(project.ProjectDirectory));
        foreach (var path in project.ReadPaths) { Field(path); Field(Existence(path)); }
        Field("write");
        // Composing makes a missing output folder: a step after it is gone must compose (and make it) again.
        foreach (var path in project.WritePaths) { Field(path); Field(Directory.Exists(path) ? "d" : "-"); }
        Field(policyFile);
        if (policyFile is not null)
        {
            var file = new FileInfo(policyFile);
            Field(file.Exists ? $"{file.Length}@{file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)}" : "-");
        }
        Field("parameters");
        foreach (var (name, value) in parameters) { Field(name); Field(value); }
        Field(step.WorkingDirectory);
        Field(step.WorkingDirectoryGiven ? "given" : "default");
        Field("exec environment");
        foreach (var (name, value) in step.ExecEnvironment) { Field(name); Field(value); }
        Field("environment");
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables()) { Field((string)entry.Key); Field((string?)entry.Value); }
        return text.ToString();
    }

    private static string Existence(string path) => File.Exists(path) ? "f" : Directory.Exists(path) ? "d" : "-";
}
