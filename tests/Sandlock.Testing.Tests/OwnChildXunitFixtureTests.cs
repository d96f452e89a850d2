namespace Sandlock.Testing.Tests;

public sealed class OwnChildXunitRun : Support.FixtureTestRun
{
    protected override string ProjectName => "OwnChildXunit";
}

/// <summary>tests/fixtures/OwnChildXunit: one class, whose tests xunit runs one after the other, in name order.</summary>
public sealed class OwnChildXunitFixtureTests(OwnChildXunitRun run) : OwnChildFixtureChecks(run, "OwnChildXunit.SequenceTests.",
    ["A_Sleeps", "B_ClockStartsAtTheTest", "C_Third", "E_AfterTheHang"], "D_Hangs", "FullyQualifiedName~SequenceTests.C_Third"), IClassFixture<OwnChildXunitRun>;
