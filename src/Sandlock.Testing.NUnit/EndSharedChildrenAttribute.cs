using System.ComponentModel;
using NUnit.Framework;
using NUnit.Framework.Interfaces;
using NUnit.Framework.Internal;

namespace Sandlock.Testing.NUnit;

/// <summary>
/// Put on every test assembly by the package's build: as NUnit finishes the assembly, while the run is still on, ends
/// the children its [Sandboxed] tests shared and removes their folders. Once the run is over, vstest.console gives the
/// test host 100 ms to exit before it kills it, too little to end them on the way out.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly)]
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class EndSharedChildrenAttribute : Attribute, ITestAction
{
    public ActionTargets Targets => ActionTargets.Suite;

    public void BeforeTest(ITest test) { }

    public void AfterTest(ITest test)
    {
        if (test is TestAssembly { Assembly: { } assembly } && OperatingSystem.IsLinux() && !SandboxedTestEnvironment.IsSandboxedChild)
            SandboxedTestCommand.EndSharedChildrenAsync(assembly).GetAwaiter().GetResult();
    }
}
