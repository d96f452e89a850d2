using System.Diagnostics;
using System.Globalization;

namespace Sandlock.StartupOrder;

/// <summary>
/// The entry points of the managed methods of a NativeAOT binary: the symbols of its __managedcode section, read with
/// binutils' readelf and nm from the binary's symbol file.
/// </summary>
internal sealed class ManagedMethods
{
    public required ulong Start { get; init; }
    public required ulong End { get; init; }
    public required IReadOnlyDictionary<ulong, string> Names { get; init; }

    public static ManagedMethods Read(string symbols)
    {
        var section = Output("readelf", "-SW", symbols).Split('\n').FirstOrDefault(line => line.Contains(" __managedcode "))
            ?? throw new InvalidOperationException($"{symbols}: no __managedcode section (not a NativeAOT binary's symbols?)");
        // [Nr] Name Type Address Off Size ...: the fields after the bracket.
        var fields = section[(section.IndexOf(']') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var start = ulong.Parse(fields[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var end = start + ulong.Parse(fields[4], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var names = new Dictionary<ulong, string>();
        foreach (var line in Output("nm", symbols).Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts is not [var address, "t" or "T", var name]) continue;
            var at = ulong.Parse(address, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (at >= start && at < end) names.TryAdd(at, name);
        }
        return new ManagedMethods { Start = start, End = end, Names = names };
    }

    private static string Output(string tool, params string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })
            ?? throw new InvalidOperationException($"{tool} did not start");
        // readelf warns about the symbol file's missing interpreter on stderr.
        var errors = process.StandardError.ReadToEndAsync();
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        _ = errors.Result;
        return process.ExitCode == 0 ? text : throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} exited with {process.ExitCode}");
    }
}
