using Sandlock.Confinement;
using Sandlock.Policy;
using Sandlock.Policy.Files;
using Sandlock.Testing.Policy;

namespace Sandlock.Testing.Tests;

/// <summary>
/// The policy of a test with a copy-on-write workdir: relative to the project folder, always aborted, in a child of
/// its own. (WorkdirXunitFixtureTests and WorkdirNUnitFixtureTests run such tests for real.)
/// </summary>
public sealed class TestPolicyWorkdirTests : IDisposable
{
    private readonly string _project = Directory.CreateTempSubdirectory("sandlock-test-policy-").FullName;

    public TestPolicyWorkdirTests() => Directory.CreateDirectory(Path.Combine(_project, "data"));

    public void Dispose() => Directory.Delete(_project, recursive: true);

    private SandboxPolicy Build(SandboxSettings settings, params PolicyFile[] files) =>
        TestPolicy.Build(settings, new ProjectPolicy(null, _project), files, ChildRoot.Of(files), AppContext.BaseDirectory, _project, 1);

    [Fact]
    public void A_relative_Workdir_is_the_project_folders_and_the_test_learns_its_full_path()
    {
        var policy = Build(new SandboxSettings { Workdir = "data", Source = "[Sandboxed] on T.M" });
        var data = Path.Combine(_project, "data");
        Assert.Equal(data, policy.Workdir);
        Assert.Contains(new KeyValuePair<string, string>(SandboxedTestEnvironment.WorkdirVariable, data), policy.Env);
    }

    [Fact]
    public void A_tests_changes_are_aborted_whatever_the_policy_file_says()
    {
        var file = PolicyFile.Parse("[filesystem]\non_exit = \"commit\"\non_error = \"keep\"\n[config]\nworkdir = \"data\"\n", Path.Combine(_project, "sandlock.toml"));
        Assert.True(TestPolicy.HasWorkdir(SandboxSettings.Empty, [file]));

        var policy = Build(SandboxSettings.Empty, file);

        Assert.Equal(Path.Combine(_project, "data"), policy.Workdir);
        Assert.Equal((BranchAction.Abort, BranchAction.Abort), (policy.OnExit, policy.OnError));
    }

    [Fact]
    public void A_test_with_a_Workdir_gets_a_child_of_its_own_whatever_isolation_it_names()
    {
        var shared = new SandboxSettings { Isolation = SandboxIsolation.Class };
        Assert.Equal(SandboxIsolation.Class, shared.EffectiveIsolation);
        Assert.Equal(SandboxIsolation.Test, shared.Over(new SandboxSettings { Workdir = "data" }).EffectiveIsolation);
        Assert.False(TestPolicy.HasWorkdir(shared, []));
    }

    [Fact]
    public void A_Workdir_that_does_not_exist_is_refused_naming_the_attribute()
    {
        var refused = Assert.Throws<PolicyException>(() => Build(new SandboxSettings { Workdir = "missing", Source = "[Sandboxed] on T.M" }));
        Assert.Contains("[Sandboxed] on T.M Workdir", refused.Message);
        Assert.Contains("directory does not exist", refused.Message);
    }
}
