namespace Sandlock.Testing.NUnit;

/// <summary>Keys of the framework settings the parent sends the child, and NUnit's own setting names (stable across 4.x and 5.x).</summary>
internal static class NUnitSettingNames
{
    public const string RandomSeed = "RandomSeed";
    public const string ParameterPrefix = "param:";
    public const string NumberOfTestWorkers = "NumberOfTestWorkers";
    public const string RunOnMainThread = "RunOnMainThread";
    public const string TestParametersDictionary = "TestParametersDictionary";

    /// <summary>NUnit's prefilter: the fixtures (by type name) to build tests from, with the setup fixtures of their namespaces.</summary>
    public const string Load = "LOAD";

    /// <summary>The fixture a fresh or a class's child runs, which it need not build the rest of the assembly for.</summary>
    public const string LoadFixture = "sandlock:load-fixture";
}
