using System.Reflection;
using Sandlock.Testing.Policy;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

/// <summary>Which xunit test cases go to a sandboxed child, and with which settings.</summary>
internal static class SandboxedTestCases
{
    /// <summary>The merged settings (assembly, then class, then method), or null when the test is not sandboxed.</summary>
    public static SandboxSettings? SettingsOf(IXunitTestCase testCase)
    {
        // A test that is skipped or that only carries a discovery error is reported in place, as xunit does.
        if (SandboxedTestEnvironment.IsSandboxedChild || testCase.SkipReason is not null || testCase is ExecutionErrorTestCase) return null;
        if (testCase.TestMethod.TestClass.Class is not IReflectionTypeInfo { Type: var type }
            || testCase.TestMethod.Method is not IReflectionMethodInfo { MethodInfo: var method }) return null;

        var onAssembly = type.Assembly.GetCustomAttribute<SandboxedAttribute>();
        var onClass = type.GetCustomAttribute<SandboxedAttribute>(inherit: true);
        var onMethod = method.GetCustomAttribute<SandboxedAttribute>(inherit: true);
        if (onAssembly is null && onClass is null && onMethod is null) return null;
        return SandboxSettings.Empty
            .Over(onAssembly?.ToSettings($"[Sandboxed] on assembly {type.Assembly.GetName().Name}"))
            .Over(onClass?.ToSettings($"[Sandboxed] on {type.FullName}"))
            .Over(onMethod?.ToSettings($"[Sandboxed] on {type.FullName}.{method.Name}"));
    }

    /// <summary>
    /// A launch with only the assembly's own <see cref="SandboxedAttribute"/>, for the shared children started before
    /// any test is known (the assembly's, or its first classes'); null when the assembly's tests share none by default.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static SandboxedTestLaunch? AssemblyLaunchOf(Assembly assembly, Sharing.SharingScope assemblyScope)
    {
        if (SandboxedTestEnvironment.IsSandboxedChild || assembly.GetCustomAttribute<SandboxedAttribute>() is not { } onAssembly) return null;
        var settings = SandboxSettings.Empty.Over(onAssembly.ToSettings($"[Sandboxed] on assembly {assembly.GetName().Name}"));
        return settings.EffectiveIsolation is not (SandboxIsolation.Assembly or SandboxIsolation.Class) ? null
            : new SandboxedTestLaunch(assembly, assembly.GetName().Name!, "", ChildRunnerType, settings) { AssemblyScope = assemblyScope };
    }

    public static bool IsSandboxed(IXunitTestCase testCase) => SettingsOf(testCase) is not null;

    private static readonly string ChildRunnerType = typeof(Child.XunitChildTestRunner).AssemblyQualifiedName!;

    /// <summary>A launch that tells only where the test case's child comes from (its policy group), not which test it runs.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static SandboxedTestLaunch GroupLaunchOf(IXunitTestCase testCase, SandboxSettings settings, Sharing.SharingScope assemblyScope) =>
        new(((IReflectionTypeInfo)testCase.TestMethod.TestClass.Class).Type.Assembly, testCase.DisplayName, "", ChildRunnerType, settings)
        {
            AssemblyScope = assemblyScope,
        };

    /// <summary>The child run of a sandboxed test case (<paramref name="settings"/> from <see cref="SettingsOf"/>).</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static SandboxedTestLaunch LaunchOf(IXunitTestCase testCase, SandboxSettings settings, Sharing.SharingScope? classScope, Sharing.SharingScope assemblyScope) =>
        new(((IReflectionTypeInfo)testCase.TestMethod.TestClass.Class).Type.Assembly, testCase.DisplayName, TestCaseSerialization.Serialize(testCase), ChildRunnerType, settings)
        {
            ClassScope = classScope,
            AssemblyScope = assemblyScope,
            FrameworkSettings = RunContext.OfCallingRunner(),
        };
}
