using System.Collections;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sandlock.Policy;
using PolicyFileReader = Sandlock.Policy.Files.PolicyFile;

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

    private readonly Dictionary<string, Lazy<ComposedStep>> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>
    /// The step's composition, from <paramref name="compose"/> when its inputs are new; throws what it throws. A
    /// composition under way for the same inputs (the one prepared as the build started) is waited for.
    /// </summary>
    public ComposedStep For(string inputs, Func<ComposedStep> compose)
    {
        Lazy<ComposedStep>? entry;
        lock (_gate)
        {
            if (!_entries.TryGetValue(inputs, out entry))
            {
                if (_entries.Count >= MaxEntries) _entries.Clear();
                entry = new Lazy<ComposedStep>(compose, LazyThreadSafetyMode.ExecutionAndPublication);
                _entries[inputs] = entry;
            }
        }
        // Outside the gate: another project's step on a node running tasks side by side (yielded steps) need not wait.
        try
        {
            return entry.Value;
        }
        catch
        {
            // A failed composition is not kept: the next step with these inputs composes (and reports) for itself.
            lock (_gate)
                if (_entries.TryGetValue(inputs, out var kept) && ReferenceEquals(kept, entry)) _entries.Remove(inputs);
            throw;
        }
    }

    /// <summary>
    /// A session step's composition: without Exec's temp script and without a temp folder of the step's own, so every
    /// step of a project with the same inputs has the same policy. Throws <see cref="PolicyException"/>.
    /// </summary>
    public static ComposedStep Compose(StepPolicy.Step step, IReadOnlyList<(string Name, string Value)> parameters, string? policyFile)
    {
        var file = policyFile is null ? null : PolicyFileReader.Load(policyFile);
        var root = file is null ? ChildRoot.Host : ChildRoot.Of([file]);
        var keyPolicy = StepPolicy.Compose(step with { Root = root }, parameters, file);
        return new ComposedStep(file, root, keyPolicy, SessionKeyOf(keyPolicy));
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
        foreach (DictionaryEntry entry in step.BuildEnvironment) { Field((string)entry.Key); Field((string?)entry.Value); }
        return text.ToString();
    }

    private static string Existence(string path) => File.Exists(path) ? "f" : Directory.Exists(path) ? "d" : "-";
}
