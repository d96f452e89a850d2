using ArchUnitNET.Domain;
using ArchUnitNET.Fluent;
using ArchUnitNET.Loader;
using ArchUnitNET.xUnit;
using static ArchUnitNET.Fluent.ArchRuleDefinition;
using Type = System.Type;

namespace Sandlock.Tests.Architecture;

/// <summary>
/// Sandlock.Core's layers, bottom up: Interop, Policy, Confinement, Supervision, Lifecycle, Orchestration. A layer may use the ones
/// below it and the exceptions at the root, never one above it. The public types a library user touches live in the
/// namespace Sandlock, each in the folder of its layer; they are assigned to their layer here.
/// </summary>
public sealed class LayerTests
{
    private static readonly System.Reflection.Assembly Core = typeof(Sandbox).Assembly;
    private static readonly ArchUnitNET.Domain.Architecture CoreArchitecture = new ArchLoader().LoadAssemblies(Core).Build();

    private static readonly string[] Layers = ["Interop", "Policy", "Confinement", "Supervision", "Lifecycle", "Orchestration"];

    /// <summary>The root-namespace (public) types of each layer.</summary>
    private static readonly Dictionary<string, Type[]> PublicTypesByLayer = new()
    {
        ["Interop"] = [],
        ["Policy"] = [typeof(SandboxPolicy), typeof(SandboxPolicyBuilder), typeof(PolicyException), typeof(NotSupportedYetException), typeof(FsMount), typeof(FsIsolation),
            typeof(BranchAction), typeof(Protection), typeof(HttpRule), typeof(ByteSize), typeof(NetRule), typeof(NetProtocol)],
        ["Confinement"] = [],
        ["Supervision"] = [typeof(Denial), typeof(PortMapping), typeof(SyscallActivity), typeof(ActivityCategory), typeof(PolicyVerdict),
            typeof(PolicyCallback), typeof(LivePolicy)],
        ["Lifecycle"] = [typeof(Sandbox), typeof(SandboxResult), typeof(ExitStatus), typeof(StdioMode), typeof(OutputHandler),
            typeof(ISandboxBackend), typeof(LocalSandboxBackend), typeof(SandboxSession), typeof(SandboxSessionState), typeof(ExecRequest),
            typeof(FilesystemMount), typeof(NetworkPolicy), typeof(SandboxCapabilities), typeof(SandboxSnapshot), typeof(SandboxSessionException),
            typeof(SandboxCheckpointException), typeof(WorkspaceChange), typeof(WorkspaceChangeKind), typeof(DryRunResult),
            typeof(SandboxClone), typeof(WorkspaceTransaction)],
        ["Orchestration"] = [typeof(Stage), typeof(Pipeline), typeof(Gather)],
    };

    /// <summary>Below every layer: the exception root and the setup error any layer may raise.</summary>
    private static readonly Type[] Foundation = [typeof(SandlockException), typeof(SandboxSetupException), typeof(SetupFailure)];

    private static IObjectProvider<IType> LayerTypes(string layer)
    {
        var types = Types().That().ResideInNamespaceMatching($@"^Sandlock\.{layer}(\..*)?$");
        return PublicTypesByLayer[layer].Length == 0 ? types.As($"the {layer} layer")
            : types.Or().Are(PublicTypesByLayer[layer]).As($"the {layer} layer");
    }

    public static TheoryData<string> LayersWithOnesAbove => [.. Layers.Take(Layers.Length - 1)];

    [Theory]
    [MemberData(nameof(LayersWithOnesAbove))]
    public void A_layer_does_not_use_one_above_it(string layer)
    {
        var index = Array.IndexOf(Layers, layer);
        foreach (var above in Layers.Skip(index + 1))
            Types().That().Are(LayerTypes(layer)).Should().NotDependOnAny(LayerTypes(above))
                .Because($"{layer} sits below {above}").Check(CoreArchitecture);
    }

    [Fact]
    public void Mechanism_is_internal_and_every_public_type_is_in_the_namespace_Sandlock()
    {
        Types().That().AreNotNested().And().ArePublic().Should().ResideInNamespace("Sandlock")
            .Because("a library user sees one namespace; planners, tables, rulesets and handlers are internal")
            .Check(CoreArchitecture);
    }

    [Fact]
    public void Every_public_type_is_assigned_to_a_layer()
    {
        var assigned = PublicTypesByLayer.Values.SelectMany(t => t).Concat(Foundation).ToHashSet();
        var unassigned = Core.GetExportedTypes().Where(t => !t.IsNested && !assigned.Contains(t)).Select(t => t.FullName).ToList();
        Assert.True(unassigned.Count == 0, $"assign these public types to their layer in {nameof(LayerTests)}: {string.Join(", ", unassigned)}");
    }

    [Fact]
    public void Every_error_a_user_can_catch_derives_from_SandlockException()
    {
        var exceptions = Core.GetExportedTypes().Where(t => typeof(Exception).IsAssignableFrom(t)).ToList();
        Assert.NotEmpty(exceptions);
        Assert.All(exceptions, e => Assert.True(typeof(SandlockException).IsAssignableFrom(e), $"{e.FullName} does not derive from SandlockException"));
    }
}
