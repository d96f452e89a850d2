using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Sandlock.Policy;
using PolicyFileReader = Sandlock.Policy.Files.PolicyFile;

namespace Sandlock.Build.Sessions;

/// <summary>
/// The composed policies of a build's routed steps, by everything a composition reads: the project's settings, the
/// task's parameters, the policy file's path, size and last write, the working directory, Exec's and the node's
/// environment, and whether each project folder the defaults name exists. A step whose inputs match an earlier
/// step's skips parsing the file and composing (about 0.5-0.9 ms of a warm step); any change is a new
/// entry. The inputs but the output folders' existence are the key of the step's session: they determine the policy
/// (steps whose inputs differ but whose policies come out equal get sessions of their own; serializing the policy to
/// compare it cost the first step of a build in a fresh MSBuild process ~57 ms, ~45 ms with a source-generated serializer).
/// What the defaults read from the system (which of /usr, /lib, ... and of the credential files under /etc
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
        return new ComposedStep(file, root, StepPolicy.Compose(step with { Root = root }, parameters, file));
    }

    /// <summary>
    /// Everything <see cref="StepPolicy.Compose"/> reads for a session step, as one key (<see cref="StepInputs.Composition"/>),
    /// and the same without whether each output folder exists (<see cref="StepInputs.Session"/>): composing makes a
    /// missing one and grants it either way, so the policy does not depend on it, while the next step must compose
    /// again (and make it) once it is gone. The keys are SHA-256 digests of the length-prefixed fields: the build's
    /// environment alone is kilobytes, which every step would otherwise copy twice into a key string.
    /// </summary>
    public static StepInputs InputsOf(ProjectSettings project, string? policyFile, IReadOnlyList<(string Name, string Value)> parameters,
        StepPolicy.Step step)
    {
        using var digest = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Field(string? value)
        {
            Span<byte> length = stackalloc byte[sizeof(int)];
            BinaryPrimitives.WriteInt32LittleEndian(length, value?.Length ?? -1);
            digest.AppendData(length);
            digest.AppendData(MemoryMarshal.AsBytes(value.AsSpan()));
        }

        Field(project.ProjectDirectory);
        Field(project.RepositoryRoot);
        Field(Existence(project.RepositoryRoot));
        Field(Existence(project.ProjectDirectory));
        foreach (var path in project.ReadPaths) { Field(path); Field(Existence(path)); }
        Field("write");
        foreach (var path in project.WritePaths) Field(path);
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
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        digest.GetCurrentHash(hash);
        var session = Convert.ToHexString(hash);
        Field("output folders");
        Span<char> folders = project.WritePaths.Count <= 256 ? stackalloc char[project.WritePaths.Count] : new char[project.WritePaths.Count];
        for (var i = 0; i < folders.Length; i++) folders[i] = Directory.Exists(project.WritePaths[i]) ? 'd' : '-';
        digest.AppendData(MemoryMarshal.AsBytes(folders));
        digest.GetHashAndReset(hash);
        return new StepInputs(Convert.ToHexString(hash), session);
    }

    private static string Existence(string path) => File.Exists(path) ? "f" : Directory.Exists(path) ? "d" : "-";
}
