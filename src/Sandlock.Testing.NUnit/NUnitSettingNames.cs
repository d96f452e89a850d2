namespace Sandlock.Testing.NUnit;

/// <summary>Keys of the framework settings the parent sends the child, and NUnit's own setting names (stable across 4.x and 5.x).</summary>
internal static class NUnitSettingNames
{
    public const string RandomSeed = "RandomSeed";
    public const string ParameterPrefix = "param:";
    public const string NumberOfTestWorkers = "NumberOfTestWorkers";
    public const string RunOnMainThread = "RunOnMainThread";
    public const string TestParametersDictionary = "TestParametersDictionary";
}
