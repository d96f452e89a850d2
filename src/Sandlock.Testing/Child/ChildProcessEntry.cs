using Sandlock.Testing.Protocol;

namespace Sandlock.Testing.Child;

/// <summary>
/// Main of the child host: reads <c>request.json</c>, runs the test through the named runner and writes
/// <c>result.json</c> beside it. Exit code 0 once a result is written, whatever the test's outcome.
/// </summary>
public static class ChildProcessEntry
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length != 1)
        {
            await Console.Error.WriteLineAsync("usage: Sandlock.Testing.Host REQUEST.json (started by Sandlock.Testing, not by hand)").ConfigureAwait(false);
            return 2;
        }
        var requestPath = args[0];
        var resultPath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(requestPath))!, ProtocolJson.ResultFileName);
        ChildRunReport report;
        try
        {
            var request = ProtocolJson.Read<ChildTestRequest>(requestPath);
            var runnerType = Type.GetType(request.RunnerType, throwOnError: true)!;
            var runner = (IChildTestRunner)Activator.CreateInstance(runnerType)!;
            report = new ChildRunReport(await runner.RunAsync(request).ConfigureAwait(false), null);
            if (report.Tests.Count == 0) report = report with { HostError = $"the framework ran no test named {request.TestId}" };
        }
        catch (Exception e)
        {
            report = new ChildRunReport([], e.ToString());
        }
        ProtocolJson.Write(resultPath, report);
        return 0;
    }
}
