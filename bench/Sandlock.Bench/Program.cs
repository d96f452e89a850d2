using Sandlock.Bench;

// dotnet run -c Release --project bench/Sandlock.Bench [spawn [ROUNDS] | session [ROUNDS] | step [ROUNDS] | supervisor [CALLS] | workload [ROUNDS] | file-denials [OPENS] | clock [READS] | http [GETS] | first-call | copy-up [MB] | cow-build [ROUNDS] | fork [CLONES] | dotnet-start [ROUNDS]]
var which = args.Length > 0 ? args[0] : "all";
if (which is "spawn" or "all") await SpawnBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 500);
if (which is "step") await StepBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 300);
if (which is "dotnet-start") await DotnetStartBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 60);
if (which is "session") await SpawnBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 500, sessionOnly: true);
if (which is "supervisor" or "all") await SupervisorBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 100_000);
if (which is "workload" or "all") await WorkloadBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 9);
if (which is "file-denials" or "all") await FileDenialBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 20_000);
if (which is "clock" or "all") await ClockBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 2_000_000);
if (which is "first-call") await FirstCallBenchmark.RunAsync();
if (which is "copy-up") await CopyUpBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 400);
if (which is "cow-build") await CowBuildBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 5);
if (which is "fork" or "all") await ForkBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 1000);
if (which is "http" or "all") await HttpBenchmark.RunAsync(args.Length > 1 ? int.Parse(args[1]) : 200);
