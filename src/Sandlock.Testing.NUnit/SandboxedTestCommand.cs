using System.Globalization;
using System.Reflection;
using NUnit.Framework;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;
using NUnit.Framework.Internal.Commands;
using Sandlock.Testing.Policy;
using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.NUnit;

/// <summary>
/// In the parent: runs the wrapped setup, test and teardown in a sandboxed child instead of here, and sets this
/// test's result from the child's. In the child: runs them in place.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed partial class SandboxedTestCommand(TestCommand inner) : DelegatingTestCommand(inner)
{
    private static readonly string ChildRunnerType = typeof(Child.NUnitChildTestRunner).AssemblyQualifiedName!;

    private static Sharing.SharedChildPool ClassPool => ParentPools.Class;

    private static Sharing.SharedChildPool AssemblyPool => ParentPools.Assembly;

    /// <summary>
    /// The test host's pools of shared children, for the life of the test run (a child that outlives it dies with this
    /// process: its parent-death signal). Made on the parent's first use: a child, which wraps its tests in this
    /// command too, never makes them (their generic collections over value tuples cost each child their compilation).
    /// </summary>
    private static class ParentPools
    {
        public static readonly Sharing.SharedChildPool Class = new(), Assembly = new();

        // For an assembly built without the package's EndSharedChildrenAttribute: the children go when the test host
        // exits, killed rather than waited for (vstest.console kills a host that is not gone within 100 ms).
        static ParentPools() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Class.EndNow();
            Assembly.EndNow();
        };
    }

    /// <summary>
    /// Starts the shared children the assembly's first tests take when its own attribute gives them a shared isolation
    /// (the assembly's child, or its first fixtures'), while NUnit still loads and the adapter sets the run up.
    /// </summary>
    public static void StartAhead(Assembly assembly)
    {
        if (SandboxedTestEnvironment.IsSandboxedChild || assembly.GetCustomAttribute<SandboxedAttribute>() is not { } onAssembly) return;
        var settings = SandboxSettings.Empty.Over(onAssembly.ToSettings($"[Sandboxed] on assembly {assembly.GetName().Name}"));
        SandboxedTestRunner.StartAhead(new SandboxedTestLaunch(assembly, assembly.GetName().Name!, "", ChildRunnerType, settings)
        {
            AssemblyScope = AssemblyScopeOf(assembly),
        });
    }

    /// <summary>
    /// As NUnit starts the assembly: reads the tests the run will run (<see cref="RunWorkItems"/>), for the fixtures'
    /// batches, and tells the runner which fixtures will run their [Sandboxed] tests in a child of their own, so that
    /// children are started ahead for the fixtures still to come (NUnit runs them one after the other).
    /// </summary>
    public static void RunStarts(ITest assemblySuite, TestExecutionContext context)
    {
        if (SandboxedTestEnvironment.IsSandboxedChild) return;
        var fixtures = RunWorkItems.FixturesOf(context);
        if (fixtures is not null) FixtureBatches.RunStarts(fixtures);
        // One launch per test method (a method's cases share its settings): only its policy group counts. Only the
        // fixtures the run will run, when the run's tree says which.
        var methods = new Dictionary<(Type, MethodInfo), SandboxedTestLaunch>();
        if (fixtures is not null)
        {
            foreach (var test in fixtures.Values.SelectMany(tests => tests)) Count(test);
        }
        else
        {
            Collect(assemblySuite);
        }
        SandboxedTestRunner.ExpectClasses(methods.Select(m => (m.Key.Item1.FullName ?? m.Key.Item1.Name, m.Value)));
        // NUnit runs them one after the other, in the tree's order: each test of a child of its own has it started ahead.
        if (fixtures is not null)
            SandboxedTestRunner.ExpectOwnChildren(fixtures.Values.SelectMany(tests => tests)
                .Where(t => MethodOf(t) is { } key && methods.TryGetValue(key, out var m) && m.Settings.EffectiveIsolation == SandboxIsolation.Test)
                .Select(LaunchOf));

        void Collect(ITest test)
        {
            if (test.RunState is RunState.NotRunnable or RunState.Ignored or RunState.Explicit) return;
            Count(test);
            foreach (var child in test.Tests) Collect(child);
        }

        void Count(ITest test)
        {
            if (MethodOf(test) is var (type, method) && !methods.ContainsKey((type, method)) && IsSandboxed(type, method))
            {
                methods[(type, method)] = new SandboxedTestLaunch(type.Assembly, test.FullName, test.FullName, ChildRunnerType, SettingsOf(type, method))
                {
                    AssemblyScope = AssemblyScopeOf(type.Assembly),
                };
            }
        }
    }

    /// <summary>The fixture type and method of a test NUnit will hand a command; null for a suite or a test it will not run.</summary>
    private static (Type, MethodInfo)? MethodOf(ITest test) =>
        !test.IsSuite && test.RunState is RunState.Runnable or RunState.Explicit && test.Method?.MethodInfo is { } method
        && (test.TypeInfo?.Type ?? method.DeclaringType) is { } type
            ? (type, method)
            : null;

    private static bool IsSandboxed(Type type, MethodInfo method) =>
        type.Assembly.GetCustomAttribute<SandboxedAttribute>() is not null || type.GetCustomAttribute<SandboxedAttribute>(inherit: true) is not null
        || method.GetCustomAttribute<SandboxedAttribute>(inherit: true) is not null;

    /// <summary>
    /// Ends the assembly's shared children, those of its classes and those started ahead, and waits until they are gone
    /// with their folders.
    /// </summary>
    public static Task EndSharedChildrenAsync(Assembly assembly)
    {
        var name = AssemblyScopeOf(assembly).Name;
        // The children started ahead for the assembly's classes wait under a scope named after the assembly's.
        return Task.WhenAll(
            AssemblyPool.EndScopesAsync(scope => scope.StartsWith(name, StringComparison.Ordinal)),
            ClassPool.EndScopesAsync(scope => assembly.GetType(scope) is not null));
    }

    private static Sharing.SharingScope AssemblyScopeOf(Assembly assembly) => new(AssemblyPool, assembly.FullName ?? "");

    public override TestResult Execute(TestExecutionContext context)
    {
        if (SandboxedTestEnvironment.IsSandboxedChild)
        {
            // On the test's thread, before its setup: NUnit may tell its listeners that a test started only later.
            if (Testing.Child.ChildTestStart.Announce(context.CurrentTest.FullName)) return innerCommand.Execute(context);
            context.CurrentResult.SetResult(ResultState.NotRunnable, "not run in this child: the sandbox could not set it up, or its batch's order went past it");
            return context.CurrentResult;
        }
        var test = context.CurrentTest;
        var launch = LaunchOf(test);
        // NUnit says nothing when a fixture ends: its shared children end when another fixture's test comes.
        if (launch.Settings.EffectiveIsolation == SandboxIsolation.Class) ClassPool.EndIdleOutside(launch.ClassScope!.Name);
        // NUnit runs commands synchronously on its worker thread.
        var batched = launch.Settings.EffectiveIsolation is SandboxIsolation.Class or SandboxIsolation.Assembly ? FixtureBatches.Take(test, BatchLaunchOf) : null;
        var results = (batched ?? SandboxedTestRunner.RunAsync(launch)).GetAwaiter().GetResult();
        Report(context.CurrentResult, results[0]);
        return context.CurrentResult;
    }

    private static SandboxedTestLaunch LaunchOf(ITest test)
    {
        var type = test.TypeInfo?.Type ?? test.Method?.MethodInfo.DeclaringType
            ?? throw new InvalidOperationException($"[Sandboxed] test {test.FullName} has no fixture type");
        var settings = SettingsOf(type, test.Method?.MethodInfo);
        return new SandboxedTestLaunch(type.Assembly, test.FullName, test.FullName, ChildRunnerType, settings)
        {
            // A child of the assembly's runs any fixture's tests; the others run one fixture's only.
            FrameworkSettings = FrameworkSettings(settings.EffectiveIsolation == SandboxIsolation.Assembly ? null : type),
            ClassScope = new Sharing.SharingScope(ClassPool, type.FullName ?? type.Name),
            AssemblyScope = AssemblyScopeOf(type.Assembly),
        };
    }

    /// <summary>The launch of a test of a fixture's batch: null for one NUnit will not hand this command (ignored, not [Sandboxed]).</summary>
    private static SandboxedTestLaunch? BatchLaunchOf(ITest test) =>
        test.RunState is RunState.Runnable or RunState.Explicit && test.Method?.MethodInfo is { } method
        && (test.TypeInfo?.Type ?? method.DeclaringType) is { } type && IsSandboxed(type, method)
            ? LaunchOf(test)
            : null;

    private static SandboxSettings SettingsOf(Type type, MethodInfo? method) => SandboxSettings.Empty
        .Over(type.Assembly.GetCustomAttribute<SandboxedAttribute>()?.ToSettings($"[Sandboxed] on assembly {type.Assembly.GetName().Name}"))
        .Over(type.GetCustomAttribute<SandboxedAttribute>(inherit: true)?.ToSettings($"[Sandboxed] on {type.FullName}"))
        .Over(method?.GetCustomAttribute<SandboxedAttribute>(inherit: true)?.ToSettings($"[Sandboxed] on {type.FullName}.{method.Name}"));

    [System.Text.RegularExpressions.GeneratedRegex(@"`\d+")]
    private static partial System.Text.RegularExpressions.Regex GenericArity();

    /// <summary>
    /// The random seed makes generated test cases get the same names in the child; parameters travel too, and the
    /// fixture a child needs to build (by the name NUnit's prefilter compares).
    /// </summary>
    private static Dictionary<string, string> FrameworkSettings(Type? fixture)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [NUnitSettingNames.RandomSeed] = Randomizer.InitialSeed.ToString(CultureInfo.InvariantCulture),
        };
        // NUnit 5's prefilter names a generic fixture without its arity, as its tests are named (GenericFixture<T>).
        if ((fixture is { IsGenericType: true } ? fixture.GetGenericTypeDefinition() : fixture)?.FullName is { } fixtureName)
            settings[NUnitSettingNames.LoadFixture] = GenericArity().Replace(fixtureName, "");
        foreach (var name in TestContext.Parameters.Names)
            settings[NUnitSettingNames.ParameterPrefix + name] = TestContext.Parameters[name] ?? "";
        return settings;
    }

    private static void Report(TestResult target, ChildTestResult result)
    {
        if (result.Output.Length > 0) target.OutWriter.Write(result.Output);
        var failure = result.PrimaryFailure;
        var state = ChildResultState.Parse(result.FrameworkOutcome) ?? result.Outcome switch
        {
            TestOutcome.Passed => ResultState.Success,
            TestOutcome.Skipped => ResultState.Ignored,
            TestOutcome.Inconclusive => ResultState.Inconclusive,
            _ => ResultState.Error,
        };
        // A failure the parent made up (crash, timeout, bad policy) reads like an NUnit error: "Type : message".
        var message = result.DisplayName is null && failure is not null ? $"{failure.ExceptionType} : {failure.Message}" : failure?.Message ?? result.Reason;
        target.SetResult(state, message ?? "", failure?.StackTrace);
    }
}
