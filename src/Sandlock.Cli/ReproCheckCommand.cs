using Sandlock.Confinement;
using Sandlock.Lifecycle;
using Sandlock.Policy;

namespace Sandlock.Cli;

/// <summary><c>--repro-check N</c>: exit 0 when N runs are byte-identical, 1 naming the first difference.</summary>
internal static class ReproCheckCommand
{
    public static async Task<int> RunAsync(SandboxPolicy policy, string[] command, int runs, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        ReproReport report;
        try
        {
            report = await ReproCheck.RunAsync(policy, command, runs, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (SandboxSetupException e)
        {
            return ExitCodes.Fail(e.Message, ExitCodes.For(e.Failure));
        }
        if (report.Identical)
        {
            Console.Error.WriteLine($"sandlock: reproducible: {report.Runs} runs gave byte-identical stdout and write-path files");
            return 0;
        }
        Console.Error.WriteLine($"sandlock: not reproducible: {DisplayText.OneLine(report.FirstDifference ?? "")}");
        return 1;
    }
}
