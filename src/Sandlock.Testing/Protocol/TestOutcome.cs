namespace Sandlock.Testing.Protocol;

public enum TestOutcome
{
    Passed,
    Failed,
    Skipped,
    Inconclusive,
}
