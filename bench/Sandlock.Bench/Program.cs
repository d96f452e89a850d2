using Sandlock.Bench;

// dotnet run -c Release --project bench/Sandlock.Bench [spawn [ROUNDS] | supervisor [CALLS] | workload [ROUNDS] | clock [READS] | http [GETS]]
var which = args.Length > 0 ? args[0] : "all";
if (which is "spawn" or "all") await SpawnBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 500);
if (which is "supervisor" or "all") await SupervisorBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 100_000);
if (which is "workload" or "all") await WorkloadBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 9);
if (which is "clock" or "all") await ClockBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 2_000_000);
if (which is "http" or "all") await HttpBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 200);
