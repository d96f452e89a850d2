using Microsoft.Build.Framework;
using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Build;

/// <summary>
/// A <see cref="SandlockExec"/> that runs its command <see cref="Runs"/> times under the same policy, varying what the
/// policy does not pin (wall clock, environment order, creation order of the write paths' contents, memory layout),
/// and fails with SLK0008 naming the first difference in stdout or in a file under the write paths.
/// </summary>
public class SandlockReproCheck : SandlockExec
{
    /// <summary>How many runs to compare (at least 2).</summary>
    public int Runs { get; set; } = 3;

    /// <summary>True when every run produced the same bytes.</summary>
    [Output]
    public bool Reproducible { get; private set; }

    protected override bool ValidateParameters()
    {
        if (Runs < 2)
        {
            Log.LogError(null, DiagnosticCodes.InvalidPolicy, null, null, 0, 0, 0, 0, "Runs: a reproducibility check needs at least 2 runs, not {0}", Runs);
            return false;
        }
        return base.ValidateParameters();
    }

    private protected override bool UsesSessions => false;

    private protected override int RunConfined(SandboxPolicy policy, string? policyFile, IReadOnlyList<string> argv)
    {
        using var canceled = new CancellationTokenSource();
        var registration = ThreadPool.RegisterWaitForSingleObject(Canceled, (_, _) => canceled.Cancel(), null, System.Threading.Timeout.Infinite, executeOnlyOnce: true);
        try
        {
            var timeout = Timeout >= 0 ? TimeSpan.FromMilliseconds(Timeout) : (TimeSpan?)null;
            var report = ReproCheck.RunAsync(policy, argv, Runs, timeout, canceled.Token).GetAwaiter().GetResult();
            Reproducible = report.Identical;
            if (report.Identical)
            {
                Log.LogMessage(MessageImportance.High, "reproducible: {0} runs produced identical output and files", report.Runs);
                return 0;
            }
            Log.LogError(null, DiagnosticCodes.NotReproducible, null, null, 0, 0, 0, 0, "not reproducible: {0}", report.FirstDifference);
        }
        catch (SandboxSetupException e)
        {
            Log.LogError(null, DiagnosticCodes.SetupFailed, null, null, 0, 0, 0, 0, "the sandbox could not start the command: {0}", e.Message);
        }
        catch (OperationCanceledException)
        {
            Log.LogWarning(null, DiagnosticCodes.TimedOut, null, null, 0, 0, 0, 0, "the build was canceled: the reproducibility check was stopped");
        }
        finally
        {
            registration.Unregister(null);
        }
        MarkFailureReported();
        return -1;
    }
}
