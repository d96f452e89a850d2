using System.Xml.Linq;

namespace Sandlock.Testing.Tests.Support;

/// <summary>The per-test results of a TRX file (VSTest's and Microsoft.Testing.Platform's share the schema).</summary>
public sealed class TrxReport
{
    private static readonly XNamespace Ns = "http://microsoft.com/schemas/VisualStudio/TeamTest/2010";

    public sealed record Result(string Name, string Outcome, string Message, string StackTrace, string StdOut);

    private TrxReport(IReadOnlyList<Result> results, string runOutput)
    {
        Results = results;
        RunOutput = runOutput;
    }

    public IReadOnlyList<Result> Results { get; }

    /// <summary>What the run wrote outside any test's own output (the test host's stdout and stderr).</summary>
    public string RunOutput { get; }

    public static TrxReport Load(string path)
    {
        var document = XDocument.Load(path);
        return new TrxReport([.. document.Descendants(Ns + "UnitTestResult").Select(r => new Result(
            (string)r.Attribute("testName")!,
            (string)r.Attribute("outcome")!,
            r.Descendants(Ns + "Message").FirstOrDefault()?.Value ?? "",
            r.Descendants(Ns + "StackTrace").FirstOrDefault()?.Value ?? "",
            r.Descendants(Ns + "StdOut").FirstOrDefault()?.Value ?? ""))],
            document.Root?.Element(Ns + "ResultSummary")?.Element(Ns + "Output")?.Element(Ns + "StdOut")?.Value ?? "");
    }

    public static TrxReport LoadSingle(string directory) =>
        Load(Directory.EnumerateFiles(directory, "*.trx", SearchOption.AllDirectories).Single());

    public Result this[string name] =>
        Results.SingleOrDefault(r => r.Name == name) ?? throw new KeyNotFoundException($"no result named {name}; have: {string.Join(", ", Results.Select(r => r.Name))}");

    public int Count(string outcome) => Results.Count(r => r.Outcome == outcome);
}
