using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

/// <summary>
/// xunit's own framework with one change at execution: a test case covered by <see cref="SandboxedAttribute"/> runs
/// in a confined child process. Discovery, names and traits are XunitTestFramework's.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SandboxedTestFramework : XunitTestFramework
{
    // Made before xunit discovers the tests: on a 2-CPU host its discovery otherwise waits for the pool's starvation guard.
    public SandboxedTestFramework(IMessageSink messageSink) : base(messageSink) => ParentThreadPool.MakeRoom();

    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new SandboxedTestFrameworkExecutor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);
}
