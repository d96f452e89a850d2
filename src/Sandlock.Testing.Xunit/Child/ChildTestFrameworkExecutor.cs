using System.Reflection;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Sandlock.Testing.Xunit.Child;

/// <summary>Runs the test cases it is given in that order (see <see cref="GivenOrder"/>), with xunit's own runners otherwise.</summary>
internal sealed class ChildTestFrameworkExecutor(AssemblyName assemblyName, ISourceInformationProvider sourceInformationProvider, IMessageSink diagnosticMessageSink)
    : XunitTestFrameworkExecutor(assemblyName, sourceInformationProvider, diagnosticMessageSink)
{
    // async void is the shape xunit v2 gives this method; the assembly runner reports its own failures as messages.
    protected override async void RunTestCases(IEnumerable<IXunitTestCase> testCases, IMessageSink executionMessageSink, ITestFrameworkExecutionOptions executionOptions)
    {
        var cases = testCases.ToList();
        using var runner = new InOrderTestAssemblyRunner(TestAssembly, cases, DiagnosticMessageSink, executionMessageSink, executionOptions, new GivenOrder(cases));
        await runner.RunAsync();
    }
}
