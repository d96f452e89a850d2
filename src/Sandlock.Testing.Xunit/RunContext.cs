using System.Collections;
using System.Globalization;
using System.Reflection;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

/// <summary>
/// Where xunit runs a test in this process: on a thread of its <see cref="MaxConcurrencySyncContext"/> (the aggressive
/// parallel algorithm, and every parallel run before xunit 2.8), or on a thread-pool thread with no context of its own
/// (the conservative algorithm, or no parallelization). A child runs its tests the same way, so a sandboxed test sees
/// the SynchronizationContext and the kind of thread it sees without the sandbox.
/// </summary>
internal static class RunContext
{
    /// <summary>The number of threads of the parent's MaxConcurrencySyncContext; absent when it runs under none.</summary>
    public const string MaxConcurrencySetting = "xunit.MaxConcurrency";

    private static readonly IReadOnlyDictionary<string, string> None = new Dictionary<string, string>();

    /// <summary>The framework settings that tell a child how the calling runner's tests run.</summary>
    public static IReadOnlyDictionary<string, string> OfCallingRunner() =>
        SynchronizationContext.Current is MaxConcurrencySyncContext context
            ? new Dictionary<string, string> { [MaxConcurrencySetting] = Level(context).ToString(CultureInfo.InvariantCulture) }
            : None;

    /// <summary>The concurrency level <paramref name="settings"/> asks the child to run its tests under, or null for the thread pool.</summary>
    public static int? MaxConcurrencyIn(IReadOnlyDictionary<string, string> settings) =>
        settings.TryGetValue(MaxConcurrencySetting, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var level) && level > 0
            ? level
            : null;

    // xunit v2 keeps the level only as its worker threads; a version without the field gets the machine's CPU count, its own default.
    private static int Level(MaxConcurrencySyncContext context) =>
        typeof(MaxConcurrencySyncContext).GetField("workerThreads", BindingFlags.Instance | BindingFlags.NonPublic)?.GetValue(context) is ICollection { Count: > 0 } threads
            ? threads.Count
            : Environment.ProcessorCount;
}
