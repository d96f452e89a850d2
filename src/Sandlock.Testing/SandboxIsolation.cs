namespace Sandlock.Testing;

/// <summary>
/// Which sandboxed tests share one confined child process. Tests whose policies differ never share one (a Landlock
/// domain cannot be loosened). Within a shared child each test still gets its own temp folder (TMPDIR; the folder of
/// a test that ended is deleted before the next starts), its own seed for the supervisor's random stream, its own
/// start of the virtual clock (TimeStart), its own denials and its own timeout (a timed-out test kills the child,
/// and the tests after it run in a new one).
/// </summary>
public enum SandboxIsolation
{
    /// <summary>One child for the tests of the assembly that have the same policy (the default): a plain run shares one process too.</summary>
    Assembly,

    /// <summary>One child for the tests of a class (an NUnit fixture) that have the same policy.</summary>
    Class,

    /// <summary>
    /// A fresh child per test: nothing a test leaves in memory or in its process reaches another. Where the framework
    /// runs tests one at a time, a test's child is started while the tests before it run; it runs nothing of the test
    /// assembly until its test starts, with the test's own seed, folder and clock.
    /// </summary>
    Test,
}
