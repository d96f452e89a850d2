using System.Diagnostics;
using System.Text;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Testing;

/// <summary>
/// The same child launch without any confinement, through <see cref="Process"/>: the baseline that the
/// benchmark compares a sandboxed test against. The policy contributes only its environment and working directory.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class UnconfinedChild
{
    public static async Task<SandboxResult> RunAsync(SandboxPolicy policy, string[] command, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        // Without the supervisor nothing would keep the test's writes out of the folder.
        if (policy.Workdir is { } workdir)
            throw new SandboxSetupException(SetupFailure.Sandbox, $"an unconfined child cannot give a test the copy-on-write workdir {workdir}");
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = policy.Cwd ?? Environment.CurrentDirectory,
        };
        foreach (var argument in command.Skip(1)) info.ArgumentList.Add(argument);
        foreach (var (key, value) in policy.Env) info.Environment[key] = value;
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout is { } t) limit.CancelAfter(t);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        var status = new ExitStatus(process.ExitCode, null, timedOut, false);
        return new SandboxResult(process.Id, status, Encoding.UTF8.GetBytes(await stdout.ConfigureAwait(false)),
            Encoding.UTF8.GetBytes(await stderr.ConfigureAwait(false)), clock.Elapsed);
    }
}
