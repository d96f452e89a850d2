using Sandlock.StartupOrder;

// dotnet run -c Release --project bench/Sandlock.StartupOrder -- OUT BINARY SYMBOLS -- ARGS... [--- ARGS...]
// Writes to OUT the managed methods BINARY (a NativeAOT binary; SYMBOLS its symbol file) calls in each run of ARGS, in the
// order of their first call, each method once: the order file of ILCompiler's explicit method layout (IlcOrderFile).
if (args.Length < 4 || args[3] != "--")
{
    Console.Error.WriteLine("usage: Sandlock.StartupOrder OUT BINARY SYMBOLS -- ARGS... [--- ARGS...]");
    return 2;
}
// The register set the tracer reads is x86-64's; an arm64 binary gets the list written on x86-64 (the names are the same).
if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
{
    Console.Error.WriteLine("Sandlock.StartupOrder traces x86-64 binaries only");
    return 2;
}
var (output, binary, symbols) = (args[0], args[1], args[2]);
var methods = ManagedMethods.Read(symbols);
var runs = new List<List<string>> { new() };
foreach (var argument in args[4..])
{
    if (argument == "---") runs.Add([]);
    else runs[^1].Add(argument);
}
var order = new List<string>();
var seen = new HashSet<string>();
foreach (var run in runs)
{
    var called = FirstCallTracer.Trace(methods, binary, run);
    Console.Error.WriteLine($"{binary} {string.Join(' ', run)}: {called.Count} methods");
    order.AddRange(called.Where(seen.Add));
}
await File.WriteAllLinesAsync(output, order);
Console.Error.WriteLine($"{output}: {order.Count} methods of {methods.Names.Count}");
return 0;
