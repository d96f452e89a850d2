using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Tests.TestSupport;

/// <summary>Shortcuts for running real programs in a real sandbox.</summary>
public static class Sandboxed
{
    /// <summary>What ordinary programs (sh, cat, perl, python3) need to start: the system, without /etc or /home.</summary>
    public static readonly string[] SystemPaths = new[] { "/usr", "/lib", "/lib64", "/bin", "/sbin" }.Where(Path.Exists).ToArray();

    public static SandboxPolicyBuilder SystemOnly()
    {
        var builder = new SandboxPolicyBuilder();
        foreach (var path in SystemPaths) builder.FsRead(path);
        return builder;
    }

    public static Task<SandboxResult> Run(SandboxPolicyBuilder builder, params string[] command) =>
        Sandbox.RunAsync(builder.Build(), command, TimeSpan.FromSeconds(60));

    public static Task<SandboxResult> Run(SandboxPolicy policy, params string[] command) =>
        Sandbox.RunAsync(policy, command, TimeSpan.FromSeconds(60));

    public static Task<SandboxResult> Sh(SandboxPolicyBuilder builder, string script) => Run(builder, "/bin/sh", "-c", script);

    public static void AssertDenied(SandboxResult result, string expectedMessage = "Permission denied")
    {
        Assert.True(result.ExitCode != 0, $"expected a failure, got {result.Status}; stdout: {result.StandardOutputText}");
        Assert.Contains(expectedMessage, result.StandardErrorText);
    }

    public static void AssertSucceeded(SandboxResult result)
    {
        Assert.True(result.ExitCode == 0, $"expected success, got {result.Status}; stderr: {result.StandardErrorText}");
    }
}
