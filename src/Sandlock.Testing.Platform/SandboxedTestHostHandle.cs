using System.Globalization;
using Microsoft.Testing.Platform.Extensions.TestHostControllers;
using Sandlock.Lifecycle;

namespace Sandlock.Testing.Platform;

/// <summary>The platform's view of the confined test host: exit, exit code, termination.</summary>
internal sealed class SandboxedTestHostHandle(Sandbox sandbox, string tempDirectory) : ITestHostHandle, ILocalTestHostHandle
{
    private readonly Task<SandboxResult> _exit = sandbox.WaitAsync();

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
