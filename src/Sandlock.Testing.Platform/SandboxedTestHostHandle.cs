using System.Globalization;
using Microsoft.Testing.Platform.Extensions.TestHostControllers;
using Sandlock.Lifecycle;

namespace Sandlock.Testing.Platform;

/// <summary>The platform's view of the confined test host: exit, exit code, termination.</summary>
internal sealed class SandboxedTestHostHandle(Sandbox sandbox, string tempDirectory, string? policyFile) : ITestHostHandle, ILocalTestHostHandle
{
    private readonly Task<SandboxResult> _exit = WaitAndReportAsync(sandbox, policyFile);

    /// <summary>What the supervisor refused, said where the run's output is (the host's own output is inherited).</summary>
    private static async Task<SandboxResult> WaitAndReportAsync(Sandbox sandbox, string? policyFile)
    {
        var result = await sandbox.WaitAsync().ConfigureAwait(false);
        var words = PolicyVocabulary.TestHost(policyFile);
        foreach (var denial in result.Denials) await Console.Error.WriteLineAsync($"sandlock: {DeniedAccess.Explain(denial, words)}").ConfigureAwait(false);
        return result;
    }

    public string? Identifier => sandbox.Pid?.ToString(CultureInfo.InvariantCulture);

    public int ProcessId => sandbox.Pid ?? 0;

    public bool HasExited => _exit.IsCompleted;

    /// <summary>The shell-style code: the host's own, 128+N for a signal, 124 on timeout.</summary>
    public int ExitCode => _exit.IsCompletedSuccessfully ? _exit.Result.ExitCode : -1;

    public Task WaitForExitAsync(CancellationToken cancellationToken) => _exit.WaitAsync(cancellationToken);

    public void Terminate()
    {
        if (!HasExited) sandbox.Kill();
    }

    public void Dispose()
    {
        sandbox.Dispose();
        try { Directory.Delete(tempDirectory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
