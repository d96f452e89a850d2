using System.Diagnostics;
using System.Globalization;
using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Testing.Policy;

namespace Sandlock.Testing.Bench;

/// <summary>What the test host does for each child before it starts it, phase by phase, in this process (medians).</summary>
internal static class SetupPhases
{
    public static void Run(int rounds)
    {
        var assembly = typeof(SetupPhases).Assembly;
        var settings = SandboxSettings.Empty with { Isolation = SandboxIsolation.Class };
        var project = ProjectPolicy.Of(assembly);
        var samples = new Dictionary<string, List<double>>();
        void Time(string name, Action action)
        {
            var clock = Stopwatch.StartNew();
            action();
            if (!samples.TryGetValue(name, out var list)) samples[name] = list = [];
            list.Add(clock.Elapsed.TotalMilliseconds);
        }
        // A project's policy file as a test's child reads it: a few settings.
        var policyFile = Path.Combine(Path.GetTempPath(), $"sandlock-bench-policy-{Environment.ProcessId}.toml");
        File.WriteAllText(policyFile, "[filesystem]\nread = [\"/srv/data\"]\nwrite = [\"/tmp/out\"]\n[program]\nenv = { MODE = \"test\" }\n[network]\nallow = [\"localhost:8080\"]\n");
        for (var round = 0; round < rounds; round++)
        {
            Time("a project's policy file read", () => Sandlock.Policy.Files.PolicyFile.Load(policyFile));
            IReadOnlyList<Sandlock.Policy.Files.PolicyFile> files = [];
            ChildRoot root = ChildRoot.Host;
            SandboxPolicy policy = null!;
            var temp = ChildTempFolder.Create(ChildRoot.Host, "sandlock-tests-")!;
            try
            {
                Time("policy files", () => { files = TestPolicy.Files(settings, project); root = ChildRoot.Of(files); });
                Time("test policy", () => policy = TestPolicy.Build(settings, project, files, root, AppContext.BaseDirectory, temp.ChildPath, 42));
                Time("child settings", () => policy = Child.ChildRuntimeSettings.For(Child.ChildThreadPool.For(policy), typeof(SetupPhases).Assembly.Location));
                Time("confinement plan", () => ConfinementPlan.Create(policy));
                Time("plan and ruleset", () => ProvisionedConfinement.Create(policy).Dispose());
            }
            finally
            {
                temp.TryDelete();
            }
        }
        File.Delete(policyFile);
        foreach (var (name, values) in samples)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {values.Order().ElementAt(values.Count / 2):0.000} ms |"));
    }
}
