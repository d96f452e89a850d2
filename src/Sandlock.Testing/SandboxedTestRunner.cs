using System.Diagnostics;
using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Policy.Files;
using Sandlock.Testing.Policy;
using Sandlock.Testing.Protocol;
using Sandlock.Testing.Sharing;

namespace Sandlock.Testing;

/// <summary>
/// Runs one test in a child process confined by its policy (a fresh one, or with <see cref="SandboxIsolation.Class"/>
/// and <see cref="SandboxIsolation.Assembly"/> one shared with the tests of the same policy) and brings back what
/// the framework reported there. Never throws for a test-side problem: a bad policy, a crash, a timeout or an unexpected exit becomes a
/// failed result that says what happened.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class SandboxedTestRunner
{
    // A test host lives long and starts many children: it clears what killed runs left in the temp directory, once.
    static SandboxedTestRunner()
    {
        if (!SandboxedTestEnvironment.IsSandboxedChild) Sandlock.Interop.TempFolderOwnership.SweepOnce();
    }

    public static async Task<IReadOnlyList<ChildTestResult>> RunAsync(SandboxedTestLaunch launch, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        if (launch.Confined && SandboxedTestEnvironment.IsConfinedHost) return [ChildFailure.InConfinedHost(clock.Elapsed)];
        ParentThreadPool.MakeRoom();
        if (SharedPlanOf(launch) is { } shared) return await RunSharedAsync(launch, shared, clock, cancellationToken).ConfigureAwait(false);
        if (OwnChildPlanOf(launch) is { } own) return await RunInOwnChildAsync(launch, own, clock, cancellationToken).ConfigureAwait(false);
        // A fresh child, also for a shared isolation whose policy has an error or a chroot that lacks what a child needs: both are reported here.
        var assemblyPath = launch.TestAssembly.Location;
        var outputDirectory = Path.GetDirectoryName(assemblyPath)!;
        var project = ProjectPolicy.Of(launch.TestAssembly);
        IReadOnlyList<PolicyFile> files;
        ChildRoot root;
        bool hasWorkdir;
        try
        {
            files = TestPolicy.Files(launch.Settings, project);
            // A chroot comes only from a policy file, and the defaults depend on it.
            root = ChildRoot.Of(files);
            hasWorkdir = TestPolicy.HasWorkdir(launch.Settings, files);
        }
        catch (PolicyException e)
        {
            return [ChildFailure.PolicyRejected(e, clock.Elapsed)];
        }
        if (ChrootCheck.MissingBeforeStart(root, outputDirectory) is { } missing)
            return [ChildFailure.ChrootIncomplete(missing, clock.Elapsed)];
        // Learn mode runs each test in a child of its own, which it can run again observed.
        // Not a test with a workdir: its layer needs the filesystem rules (the folder read-only) a learned run goes without.
        var learnFolder = launch.Confined && !hasWorkdir ? Learning.FailedTestLearning.Folder : null;
        if (ChildTempFolder.Create(root, "sandlock-test-") is not { } temp)
            return [ChildFailure.ChrootIncomplete(ChrootCheck.NoTemp(root), clock.Elapsed)];
        try
        {
            var seed = SeedOf(launch);
            SandboxPolicy policy;
            try
            {
                policy = TestPolicy.Build(launch.Settings, project, files, root, outputDirectory, temp.ChildPath, seed);
            }
            catch (PolicyException e)
            {
                return [ChildFailure.PolicyRejected(e, clock.Elapsed)];
            }

            ProtocolCodec.Write(Path.Combine(temp.HostPath, ProtocolCodec.RequestFileName),
                new ChildTestRequest(launch.RunnerType, assemblyPath, launch.TestId, launch.FrameworkSettings));
            var command = ChildCommand.For(assemblyPath, Path.Combine(temp.ChildPath, ProtocolCodec.RequestFileName));
            if (ChrootCheck.MissingFrom(root, command.Take(command.Length - 1)) is { } missingFile)
                return [ChildFailure.ChrootIncomplete(missingFile, clock.Elapsed)];
            var timeout = TimeoutOf(launch);

            SandboxResult run;
            try
            {
                using var slot = await ChildSlots.TakeAsync(cancellationToken).ConfigureAwait(false);
                run = launch.Confined
                    ? await RunConfinedAsync(policy, assemblyPath, command, timeout, cancellationToken).ConfigureAwait(false)
                    : await UnconfinedChild.RunAsync(policy, command, timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (SandboxSetupException e)
            {
                return [ChildFailure.SetupFailed(e, clock.Elapsed)];
            }

            var resultPath = Path.Combine(temp.HostPath, ProtocolCodec.ResultFileName);
            var report = File.Exists(resultPath) ? ProtocolCodec.ReadReport(resultPath) : null;
            if (report is { HostError: null, Tests.Count: > 0 })
            {
                IReadOnlyList<ChildTestResult> results =
                    [.. report.Tests.Select(t => DenialNotes.Add(t, run, policy, files.LastOrDefault()?.Path, launch.Settings.AcceptedDenials(project.BaseDirectory)))];
                return learnFolder is null ? results
                    : await Learning.FailedTestLearning.LearnAsync(results, learnFolder, policy, command, timeout, launch.TestFullName, [temp.HostPath], cancellationToken).ConfigureAwait(false);
            }
            return [ChildFailure.Describe(run, report?.HostError, policy, launch, timeout)];
        }
        finally
        {
            temp.TryDelete();
        }
    }

    /// <summary>
    /// Starts the shared children the first tests of <paramref name="launch"/>'s group will run in, before the framework
    /// has set the run up and asked for a test, so that their start overlaps the framework's own on CPUs that are
    /// otherwise idle: the assembly's child with <see cref="SandboxIsolation.Assembly"/>; with
    /// <see cref="SandboxIsolation.Class"/> one per <see cref="ChildSlots"/> slot up to <see cref="MaxClassChildrenAhead"/>,
    /// which the first classes of the group take (a child that ran nothing is the same whichever class takes it). Nothing when the test would not run in a
    /// shared child; a child that fails to start is the test's to report, as it starts its own; nothing either for the
    /// children the group already has to take.
    /// </summary>
    public static void StartAhead(SandboxedTestLaunch launch) => StartAhead(launch, int.MaxValue);

    /// <summary>
    /// The tests the run will run, each with its class: as a class of <see cref="SandboxIsolation.Class"/> takes its
    /// child, another is started ahead for the classes of its group still to come, so that a class rarely waits for a
    /// child to boot (the boot overlaps the tests of the classes before it).
    /// </summary>
    public static void ExpectClasses(IEnumerable<(string Class, SandboxedTestLaunch Launch)> tests)
    {
        var perClass = tests.Where(t => t.Launch.AssemblyScope is not null && t.Launch.Settings.EffectiveIsolation == SandboxIsolation.Class);
        foreach (var group in perClass.GroupBy(t => (Ahead: ClassesAhead(t.Launch.AssemblyScope!), Group: GroupOf(t.Launch))))
            group.Key.Ahead.Pool.ExpectClasses(group.Key.Ahead.Name, group.Key.Group, group.Select(t => t.Class).Distinct(StringComparer.Ordinal).Count());
    }

    private static void StartAhead(SandboxedTestLaunch launch, int atMost)
    {
        if (launch.AssemblyScope is not { } assemblyScope) return;
        // The start runs on the pool, which the host's message loop and the adapter may already hold all of.
        ParentThreadPool.MakeRoom();
        var (scope, count) = launch.Settings.EffectiveIsolation switch
        {
            SandboxIsolation.Assembly => (assemblyScope, 1),
            SandboxIsolation.Class => (ClassesAhead(assemblyScope), Math.Min(ChildSlots.Count, MaxClassChildrenAhead)),
            _ => (null, 0),
        };
        if (scope is null) return;
        var group = GroupOf(launch);
        var ahead = launch with { ClassScope = launch.Settings.EffectiveIsolation == SandboxIsolation.Class ? scope : launch.ClassScope };
        for (var started = scope.Pool.ChildrenFor(scope.Name, group); started < count && atMost-- > 0; started++)
        {
            scope.Pool.StartingAhead(scope.Name, group, Task.Run(() =>
            {
                try
                {
                    return SharedPlanOf(ahead) is { } shared ? StartShared(ahead, shared, Stopwatch.StartNew(), GroupSeedOf(ahead)).Child : null;
                }
                // Whatever stops it, the test that would have taken it starts a child of its own and reports what stops that.
                catch (Exception)
                {
                    return null;
                }
            }));
        }
    }

    /// <summary>
    /// At most how many class children start before the classes are known: on a machine of many CPUs, an assembly of
    /// few classes would otherwise boot one child per CPU that no class takes.
    /// </summary>
    private const int MaxClassChildrenAhead = 2;

    /// <summary>Where the children started ahead for the classes of an assembly wait, in the assembly's pool, until a class takes one.</summary>
    private static SharingScope ClassesAhead(SharingScope assemblyScope) => assemblyScope with { Name = assemblyScope.Name + " classes" };

    private static string GroupOf(SandboxedTestLaunch launch) => string.Join('\n', launch.RunnerType, launch.TestAssembly.Location, launch.Settings.PolicyKey);

    private static async Task<IReadOnlyList<ChildTestResult>> RunSharedAsync(SandboxedTestLaunch launch, SharedPlan shared, Stopwatch clock, CancellationToken cancellationToken)
    {
        var pending = new PendingTest(launch);
        await RunSharedInOrderAsync(shared, [pending], clock, cancellationToken).ConfigureAwait(false);
        return await pending.Results.Task.ConfigureAwait(false);
    }

    /// <summary>
    /// Starts the tests of <paramref name="launches"/> that run in a shared child, in their order, as batches of one
    /// child per policy group (a child then goes from one test to the next without waiting for this process): for
    /// each launch the task of its results, or null for one that runs in a fresh child, which the caller runs with
    /// <see cref="RunAsync"/> in its turn. The groups run one after the other, each in one turn of its pool.
    /// </summary>
    public static IReadOnlyList<Task<IReadOnlyList<ChildTestResult>>?> StartInOrder(IReadOnlyList<SandboxedTestLaunch> launches, CancellationToken cancellationToken)
    {
        var tasks = new Task<IReadOnlyList<ChildTestResult>>?[launches.Count];
        var groups = new Dictionary<(SharingScope, string), (SharedPlan Plan, List<PendingTest> Tests)>();
        for (var i = 0; i < launches.Count; i++)
        {
            if (SharedPlanOf(launches[i]) is not { } plan) continue;
            if (!groups.TryGetValue((plan.Scope, plan.Group), out var group)) groups[(plan.Scope, plan.Group)] = group = (plan, []);
            var pending = new PendingTest(launches[i]);
            group.Tests.Add(pending);
            tasks[i] = pending.Results.Task;
        }
        if (groups.Count > 0)
        {
            ParentThreadPool.MakeRoom();
            _ = Task.Run(async () =>
            {
                foreach (var (plan, tests) in groups.Values)
                    await RunSharedInOrderAsync(plan, tests, Stopwatch.StartNew(), cancellationToken).ConfigureAwait(false);
            }, CancellationToken.None);
        }
        return tasks;
    }

    /// <summary>Where a launch runs when it shares a child; null when it runs in a fresh one (or its policy has an error to report).</summary>
    private static SharedPlan? SharedPlanOf(SandboxedTestLaunch launch) => launch.Settings.EffectiveIsolation switch
    {
        SandboxIsolation.Class when launch.ClassScope is { } scope => PlanOf(launch, scope, GroupOf(launch), perClass: true),
        SandboxIsolation.Assembly when launch.AssemblyScope is { } scope => PlanOf(launch, scope, GroupOf(launch), perClass: false),
        _ => null,
    };

    /// <summary>
    /// Where a test of <see cref="SandboxIsolation.Test"/> that a framework runs finds its own child, which may have been
    /// started ahead (<see cref="TestChildrenAhead"/>); null when it runs in a fresh child the old way (a workdir, a
    /// chroot that lacks what a child needs, learn mode, a policy error to report, a caller that gives no assembly run).
    /// </summary>
    private static SharedPlan? OwnChildPlanOf(SandboxedTestLaunch launch) =>
        launch.Settings.EffectiveIsolation == SandboxIsolation.Test && launch.AssemblyScope is { } assemblyScope
            ? PlanOf(launch, TestChildrenAhead.ScopeOf(launch, assemblyScope), GroupOf(launch), perClass: false)
            : null;

    private static SharedPlan? PlanOf(SandboxedTestLaunch launch, SharingScope scope, string group, bool perClass)
    {
        // In a host confined whole every test runs as a fresh one, where it is reported (RunAsync).
        if (!launch.Confined || Learning.FailedTestLearning.Folder is not null || SandboxedTestEnvironment.IsConfinedHost) return null;
        try
        {
            var project = ProjectPolicy.Of(launch.TestAssembly);
            var files = TestPolicy.Files(launch.Settings, project);
            var root = ChildRoot.Of(files);
            var outputDirectory = Path.GetDirectoryName(launch.TestAssembly.Location)!;
            if (TestPolicy.HasWorkdir(launch.Settings, files) || ChrootCheck.MissingBeforeStart(root, outputDirectory) is not null) return null;
            return new SharedPlan(scope, group, project, files, root, outputDirectory, perClass);
        }
        catch (PolicyException)
        {
            return null;
        }
    }

    private static ulong SeedOf(SandboxedTestLaunch launch) => launch.Settings.RandomSeed ?? TestSeed.For(launch.TestFullName);

    private static TimeSpan? TimeoutOf(SandboxedTestLaunch launch) => launch.Settings.TimeoutSeconds is > 0 and var s ? TimeSpan.FromSeconds(s) : null;

    /// <summary>What a shared child (or a test's own) is sent for the launch's test.</summary>
    private static SharedTestRun SharedRunOf(SandboxedTestLaunch launch, SharedPlan plan) =>
        new(launch, new ChildTestRequest(launch.RunnerType, launch.TestAssembly.Location, launch.TestId, launch.FrameworkSettings),
            SeedOf(launch), TimeoutOf(launch), launch.Settings.AcceptedDenials(plan.Project.BaseDirectory));

    /// <summary>
    /// The framework will run these tests one after the other, in this order: those of <see cref="SandboxIsolation.Test"/>
    /// get their children started ahead, the first ones' now (<see cref="TestChildrenAhead"/>).
    /// </summary>
    public static void ExpectOwnChildren(IEnumerable<SandboxedTestLaunch> inOrder) =>
        TestChildrenAhead.Expect(inOrder.Where(l => l.Settings.EffectiveIsolation == SandboxIsolation.Test && l.AssemblyScope is not null), StartOwnChildAhead);

    /// <summary>Starts the child of a test of its own before the test comes; where it waits, or null when the test will run another way.</summary>
    private static (SharingScope Scope, string Group)? StartOwnChildAhead(SandboxedTestLaunch launch)
    {
        if (OwnChildPlanOf(launch) is not { } plan) return null;
        ParentThreadPool.MakeRoom();
        plan.Scope.Pool.StartingAhead(plan.Scope.Name, plan.Group, Task.Run(() =>
        {
            try
            {
                return StartShared(launch, plan, Stopwatch.StartNew(), SeedOf(launch)).Child;
            }
            // Whatever stops it, the test starts a child of its own and reports what stops that.
            catch (Exception)
            {
                return null;
            }
        }));
        return (plan.Scope, plan.Group);
    }

    /// <summary>
    /// A test of <see cref="SandboxIsolation.Test"/> in a child of its own: the one started ahead for it, or a new one;
    /// the children of the tests after it start as it takes its own. The child runs this test only and then ends.
    /// </summary>
    private static async Task<IReadOnlyList<ChildTestResult>> RunInOwnChildAsync(SandboxedTestLaunch launch, SharedPlan plan, Stopwatch clock, CancellationToken cancellationToken)
    {
        var (scope, group) = (plan.Scope, plan.Group);
        var run = SharedRunOf(launch, plan);
        // Taken before a child is started here: tests that xunit runs side by side would otherwise each boot one at once.
        using var slot = await ChildSlots.TakeAsync(cancellationToken).ConfigureAwait(false);
        var child = await scope.Pool.TakeIdleAsync(scope.Name, group).ConfigureAwait(false);
        var startedAhead = child is not null;
        for (var attempt = 0; ; attempt++)
        {
            if (child is null)
            {
                var (started, failure) = StartShared(launch, plan, clock, run.Seed);
                if (started is null) return [failure!];
                child = started;
            }
            if (attempt == 0) TestChildrenAhead.Took(launch, StartOwnChildAhead);
            IReadOnlyList<ChildTestResult>? results = null;
            try
            {
                await child.RunAsync([run], (_, r) => results = r, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                scope.Pool.End(child);
            }
            if (results is not null) return results;
            // A child started ahead that ended while it waited (killed from outside): the test gets a new one, once.
            if (!startedAhead || attempt > 0)
                return [ChildTestResult.Failed(null, typeof(SandboxedTestException).FullName!, "the child ended before the test started", null, "", clock.Elapsed)];
            child = null;
        }
    }

    /// <summary>Runs a group's tests in order through its children: one turn, a new child where one breaks; every test gets its results.</summary>
    private static async Task RunSharedInOrderAsync(SharedPlan plan, IReadOnlyList<PendingTest> tests, Stopwatch clock, CancellationToken cancellationToken)
    {
        var (scope, group) = (plan.Scope, plan.Group);
        var next = 0;
        var tookChild = false;
        try
        {
            var runs = tests.Select(t => SharedRunOf(t.Launch, plan)).ToArray();
            using var turn = await scope.Pool.TakeTurnAsync(scope.Name, group, cancellationToken).ConfigureAwait(false);
            using var slot = plan.PerClass ? await ChildSlots.TakeAsync(cancellationToken).ConfigureAwait(false) : null;
            while (next < runs.Length)
            {
                var child = await scope.Pool.TakeIdleAsync(scope.Name, group).ConfigureAwait(false);
                if (child is null && plan.PerClass && runs[next].Launch.AssemblyScope is { } assemblyScope)
                {
                    var ahead = ClassesAhead(assemblyScope);
                    child = await ahead.Pool.TakeIdleAsync(ahead.Name, group).ConfigureAwait(false);
                }
                if (!tookChild && plan.PerClass && runs[next].Launch.AssemblyScope is { } classesOf)
                {
                    tookChild = true;
                    StartAheadForClassesToCome(runs[next].Launch, classesOf, scope);
                }
                if (child is null)
                {
                    var (started, failure) = StartShared(runs[next].Launch, plan, clock, GroupSeedOf(runs[next].Launch));
                    if (started is null)
                    {
                        // What stops one child stops the next: every test left reports it.
                        for (; next < runs.Length; next++) tests[next].Results.TrySetResult([failure!]);
                        return;
                    }
                    child = started;
                }
                int ran;
                var offset = next;
                IReadOnlyList<ChildTestResult>? lastResults = null;
                try
                {
                    ran = await child.RunAsync(runs[next..], (i, results) =>
                    {
                        if (offset + i == tests.Count - 1) lastResults = results;
                        else tests[offset + i].Results.TrySetResult(results);
                    }, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    scope.Pool.Return(scope.Name, group, child);
                    // The last test's result only once its child is back in the pool: the run may end with that test
                    // (NUnit's assembly ends its pools' children at once), and a child still out then was left behind.
                    if (lastResults is not null) tests[^1].Results.TrySetResult(lastResults);
                }
                // A child that ends before a test starts leaves it to the next; one that does so for a new child's first test fails it.
                if (ran == 0)
                {
                    tests[next].Results.TrySetResult([ChildTestResult.Failed(null, typeof(SandboxedTestException).FullName!,
                        "the shared child ended before the test started", null, "", clock.Elapsed)]);
                    ran = 1;
                }
                next += ran;
            }
        }
        catch (OperationCanceledException)
        {
            for (; next < tests.Count; next++) tests[next].Results.TrySetCanceled(cancellationToken);
        }
        catch (Exception e)
        {
            for (; next < tests.Count; next++) tests[next].Results.TrySetResult([ChildFailure.SetupFailed(e, clock.Elapsed)]);
        }
    }

    /// <summary>A class takes its child: one more is started ahead when classes of its group are still to come.</summary>
    private static void StartAheadForClassesToCome(SandboxedTestLaunch launch, SharingScope assemblyScope, SharingScope classScope)
    {
        var ahead = ClassesAhead(assemblyScope);
        if (ahead.Pool.ClassTookChild(ahead.Name, GroupOf(launch), classScope) is > 0 and var toCome) StartAhead(launch, toCome);
    }

    /// <summary>
    /// Where a group of tests shares its children, and the policy parts its children are made from. A class's group
    /// (<paramref name="PerClass"/>) takes one of the <see cref="ChildSlots"/> while its child starts and runs its tests.
    /// </summary>
    private sealed record SharedPlan(SharingScope Scope, string Group, ProjectPolicy Project, IReadOnlyList<PolicyFile> Files, ChildRoot Root, string OutputDirectory,
        bool PerClass);

    /// <summary>A test on its way through a shared child, and the results it will have.</summary>
    private sealed class PendingTest(SandboxedTestLaunch launch)
    {
        public SandboxedTestLaunch Launch { get; } = launch;
        public TaskCompletionSource<IReadOnlyList<ChildTestResult>> Results { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// The seed of a shared child's policy (what the served /dev/urandom holds until its first test starts): the
    /// group's, not whichever test came first.
    /// </summary>
    private static ulong GroupSeedOf(SandboxedTestLaunch launch) => TestSeed.For(launch.TestAssembly.GetName().Name + "\n" + launch.Settings.PolicyKey);

    /// <summary>A new shared child for the launch's group, or the failure its test reports; <paramref name="seed"/> serves its start.</summary>
    private static (SharedChild? Child, ChildTestResult? Failure) StartShared(SandboxedTestLaunch launch, SharedPlan plan, Stopwatch clock, ulong seed)
    {
        var (project, files, root, outputDirectory) = (plan.Project, plan.Files, plan.Root, plan.OutputDirectory);
        var assemblyPath = launch.TestAssembly.Location;
        if (ChildTempFolder.Create(root, "sandlock-tests-") is not { } session)
            return (null, ChildFailure.ChrootIncomplete(ChrootCheck.NoTemp(root), clock.Elapsed));
        try
        {
            // The policy of the group: the session folder is the temp folder; seed and TMPDIR are set per test.
            var policy = TestPolicy.Build(launch.Settings, project, files, root, outputDirectory, session.ChildPath, seed);
            var command = ChildCommand.For(assemblyPath, "-");
            if (ChrootCheck.MissingFrom(root, command.Take(command.Length - 1)) is { } missingFile)
            {
                session.TryDelete();
                return (null, ChildFailure.ChrootIncomplete(missingFile, clock.Elapsed));
            }
            return (SharedChild.Start(policy, files.LastOrDefault()?.Path, session, assemblyPath, launch.RunnerType), null);
        }
        catch (PolicyException e)
        {
            session.TryDelete();
            return (null, ChildFailure.PolicyRejected(e, clock.Elapsed));
        }
        catch (SandboxSetupException e)
        {
            session.TryDelete();
            return (null, ChildFailure.SetupFailed(e, clock.Elapsed));
        }
    }

    private static async Task<SandboxResult> RunConfinedAsync(SandboxPolicy policy, string testAssemblyPath, string[] command, TimeSpan? timeout,
        CancellationToken cancellationToken)
    {
        await using var sandbox = new Sandbox(Child.ChildRuntimeSettings.For(Child.ChildThreadPool.For(policy), testAssemblyPath), command, StdioMode.Capture)
        {
            Timeout = timeout,
            OnStandardOutput = ChildConsoleRelay.StandardOutput,
            OnStandardError = ChildConsoleRelay.StandardError,
        };
        sandbox.Start();
        return await sandbox.WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
