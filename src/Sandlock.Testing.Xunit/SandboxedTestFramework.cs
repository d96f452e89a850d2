using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit;

/// <summary>
/// xunit's own framework with one change at execution: a test case covered by <see cref="SandboxedAttribute"/> runs
/// in a confined child process. Discovery, names and traits are XunitTestFramework's.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SandboxedTestFramework(IMessageSink messageSink) : XunitTestFramework(messageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new SandboxedTestFrameworkExecutor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);
}
