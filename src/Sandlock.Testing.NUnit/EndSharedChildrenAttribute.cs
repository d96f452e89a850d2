using System.ComponentModel;
using NUnit.Framework;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

namespace Sandlock.Testing.NUnit;

/// <summary>
/// Put on every test assembly by the package's build: as NUnit starts the assembly, reads which tests the run will run
/// (each fixture's [Sandboxed] tests then go to their shared child as one batch) and tells the runner which fixtures
/// will take a child of their own (children are then started ahead for those to come); as NUnit finishes it, while the
/// run is still on, ends the children its [Sandboxed] tests shared and removes their folders. Once the run is over,
/// vstest.console gives the test host 100 ms to exit before it kills it, too little to end them on the way out.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class EndSharedChildrenAttribute : Attribute, ITestAction
{
    public ActionTargets Targets => ActionTargets.Suite;

    public void BeforeTest(ITest test)
    {
        if (test is TestAssembly && OperatingSystem.IsLinux()) SandboxedTestCommand.RunStarts(test, TestExecutionContext.CurrentContext);
    }

    public void AfterTest(ITest test)
    {
        if (test is TestAssembly { Assembly: { } assembly } && OperatingSystem.IsLinux() && !SandboxedTestEnvironment.IsSandboxedChild)
            SandboxedTestCommand.EndSharedChildrenAsync(assembly).GetAwaiter().GetResult();
    }
}
