namespace Sandlock.Testing.Sharing;

/// <summary>
/// The order in which a framework will run its tests of <see cref="SandboxIsolation.Test"/>, each in a child of its
/// own: as a test takes its child, the children of the tests after it in that order are started, so that their
/// boot (a .NET start, the framework and the test assembly loaded) overlaps the tests before them instead of
/// following them. Children are started ahead only while at most one child is at work (<see cref="ChildSlots"/>): a
/// framework that runs tests side by side keeps the CPUs busy without them (measured: xunit's classes in parallel
/// were 0.7 s slower in 40 tests with children ahead, as fast without); and at most one per CPU waits at once, so a
/// test the run never reaches costs at most that many starts. A child started ahead runs no code of the test assembly before its test starts, and its test gets the same folder, seed and clock
/// at its start as in a child started for it then (<see cref="SharedChild"/>), so the order changes no result. A child
/// still waiting when a test after its own in the order takes a child is ended: its test was not run (NUnit does not
/// run the tests of a fixture whose one-time setup failed), or runs out of order and starts its own.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class TestChildrenAhead
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, SandboxedTestLaunch> Next = new(StringComparer.Ordinal);
    // A test's place: which order it was given in (a framework gives one per class, or one for the run) and where in it.
    private static readonly Dictionary<string, (int Order, int Index)> Position = new(StringComparer.Ordinal);
    private static readonly HashSet<string> Taken = new(StringComparer.Ordinal);
    private static readonly List<(SharingScope Scope, string Group, (int Order, int Index) Position)> Waiting = [];
    private static int s_orders;

    /// <summary>At most how many children wait started ahead at once, in this test host.</summary>
    public static int MaxWaiting => ChildSlots.Count;

    /// <summary>Where the child of a test of its own waits until the test takes it: a scope of the test's alone, in its assembly's pool.</summary>
    public static SharingScope ScopeOf(SandboxedTestLaunch launch, SharingScope assemblyScope) =>
        assemblyScope with { Name = assemblyScope.Name + " test " + launch.TestId };

    /// <summary>
    /// The framework will run <paramref name="inOrder"/> (its tests that take a child of their own) in this order,
    /// one after the other; what an earlier run of them left is forgotten. The first ones' children start now.
    /// </summary>
    public static void Expect(IEnumerable<SandboxedTestLaunch> inOrder, Func<SandboxedTestLaunch, (SharingScope Scope, string Group)?> startAhead)
    {
        SandboxedTestLaunch? first = null, before = null;
        lock (Gate)
        {
            var (order, index) = (++s_orders, 0);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var launch in inOrder)
            {
                // A test the order names twice (cases of one name) is taken where it first comes.
                if (!seen.Add(KeyOf(launch))) continue;
                first ??= launch;
                Taken.Remove(KeyOf(launch));
                Position[KeyOf(launch)] = (order, index++);
                if (before is not null) Next[KeyOf(before)] = launch;
                before = launch;
            }
            // Nothing after the last: an earlier run may have had more.
            if (before is not null) Next.Remove(KeyOf(before));
        }
        if (first is not null) StartFrom(first, includingIt: true, startAhead);
    }

    /// <summary>
    /// <paramref name="launch"/> takes its child: the children of the tests after it are started, up to
    /// <see cref="MaxWaiting"/> waiting, none twice for one run of a test.
    /// </summary>
    public static void Took(SandboxedTestLaunch launch, Func<SandboxedTestLaunch, (SharingScope Scope, string Group)?> startAhead)
    {
        List<(SharingScope Scope, string Group, (int Order, int Index) Position)> passed = [];
        lock (Gate)
        {
            Taken.Add(KeyOf(launch));
            if (Position.TryGetValue(KeyOf(launch), out var at))
            {
                passed = Waiting.FindAll(w => w.Position.Order == at.Order && w.Position.Index < at.Index);
                Waiting.RemoveAll(w => w.Position.Order == at.Order && w.Position.Index < at.Index);
            }
        }
        foreach (var (scope, group, _) in passed) scope.Pool.EndWaiting(scope.Name, group);
        StartFrom(launch, includingIt: false, startAhead);
    }

    private static void StartFrom(SandboxedTestLaunch launch, bool includingIt, Func<SandboxedTestLaunch, (SharingScope Scope, string Group)?> startAhead)
    {
        var next = includingIt ? launch : NextOf(launch);
        for (var step = 0; next is not null && step <= MaxWaiting; step++)
        {
            lock (Gate)
            {
                // Those taken since, or ended with their run, no longer wait.
                Waiting.RemoveAll(w => w.Scope.Pool.ChildrenFor(w.Scope.Name, w.Group) == 0);
                // Where tests run side by side (xunit's classes), their children keep the CPUs busy without any started ahead.
                if (Waiting.Count >= MaxWaiting || ChildSlots.InUse > 1) return;
                if (!Taken.Add(KeyOf(next)))
                {
                    next = NextOf(next, locked: true);
                    continue;
                }
            }
            if (startAhead(next) is var (scope, group))
            {
                lock (Gate) Waiting.Add((scope, group, Position.GetValueOrDefault(KeyOf(next))));
            }
            next = NextOf(next);
        }
    }

    private static SandboxedTestLaunch? NextOf(SandboxedTestLaunch launch, bool locked = false)
    {
        if (locked) return Next.GetValueOrDefault(KeyOf(launch));
        lock (Gate) return Next.GetValueOrDefault(KeyOf(launch));
    }

    private static string KeyOf(SandboxedTestLaunch launch) =>
        string.Join('\n', launch.TestAssembly.Location, launch.TestId, launch.TestFullName, launch.Settings.PolicyKey);
}
