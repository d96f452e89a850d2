using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit.Child;

/// <summary>xunit's own framework, whose runs in the child keep the order the parent gave the tests in.</summary>
internal sealed class ChildTestFramework(IMessageSink diagnosticMessageSink) : XunitTestFramework(diagnosticMessageSink)
{
    protected override ITestFrameworkExecutor CreateExecutor(AssemblyName assemblyName) =>
        new ChildTestFrameworkExecutor(assemblyName, SourceInformationProvider, DiagnosticMessageSink);
}
