using Sandlock.Lifecycle;
using Sandlock.Policy;
using Sandlock.Tests.TestSupport;
using Xunit.Abstractions;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Lifecycle;

/// <summary>These tests count what the whole test process holds, so nothing else may run beside them.</summary>
[CollectionDefinition(nameof(ResourceLeakTests), DisableParallelization = true)]
public sealed class ResourceLeakCollection;

/// <summary>
/// A test host runs thousands of sandboxes: each must give back what the parent held for it (fds, memfds and their
/// memory, threads, temp folders) when it ends, whatever it used. Each kind is warmed up first (pools fill, code
/// is compiled), then spawned a few thousand times, several at once, and the process must come back to the warm level.
/// </summary>
[Collection(nameof(ResourceLeakTests))]
public sealed class ResourceLeakTests(ResourceLeakTests.Programs programs, ITestOutputHelper output) : IClassFixture<ResourceLeakTests.Programs>
{
    /// <summary>touch.c and a folder to mount, where the sandboxes may read them.</summary>
    public sealed class Programs : IDisposable
    {
        private readonly TempDir _dir = new();

        public Programs()
        {
            Touch = CPrograms.Build("Lifecycle/touch.c", _dir["touch"]);
            _dir.Write("mounted/file", "mounted\n");
            File.SetUnixFileMode(_dir["mounted"], (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(_dir["mounted/file"], (UnixFileMode)0b110_100_100);
            _http.Start();
            _ = ServeHttpAsync();
        }

        private readonly System.Net.Sockets.TcpListener _http = new(System.Net.IPAddress.Loopback, 0);

        /// <summary>A local HTTP server answering each connection with one response: 256 KiB for /big, else "ok".</summary>
        public int HttpPort => ((System.Net.IPEndPoint)_http.LocalEndpoint).Port;

        private async Task ServeHttpAsync()
        {
            while (true)
            {
                System.Net.Sockets.TcpClient client;
                try { client = await _http.AcceptTcpClientAsync(); }
                catch (Exception) { return; }
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        var reader = new StreamReader(client.GetStream(), System.Text.Encoding.ASCII);
                        try
                        {
                            var big = (await reader.ReadLineAsync())?.Contains("/big", StringComparison.Ordinal) == true;
                            while (await reader.ReadLineAsync() is { Length: > 0 }) { }
                            var body = big ? new byte[256 * 1024] : "ok\n"u8.ToArray();
                            await client.GetStream().WriteAsync(System.Text.Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
                            await client.GetStream().WriteAsync(body);
                        }
                        catch (IOException) { }
                    }
                });
            }
        }

        public string Touch { get; }

        public SandboxPolicyBuilder Base() => SystemOnly().FsRead(_dir.Path);

        public string Mounted => _dir["mounted"];

        /// <summary>A workdir every "workdir" sandbox changes (and commits into, six at a time), and where its layers go.</summary>
        public string Workdir => Directory.CreateDirectory(_dir["workdir"]).FullName;

        public string Storage => Directory.CreateDirectory(_dir["layers"]).FullName;

        public void Dispose()
        {
            _http.Stop();
            _dir.Dispose();
        }
    }

    private const int Concurrency = 6;
    private const int WarmUp = 100;

    // Per-sandbox leaks show as one or more per spawn, i.e. thousands; these allow for what the test host and the
    // pools do on their own meanwhile.
    private const int FdSlack = 2;              // files the test host itself may have open at the moment of counting
    private const int ThreadSlack = 16;          // thread pool growth, supervisor threads that idle 30 s before leaving
    private const long ShmemSlackKiB = 8 << 10;  // code the JIT writes later (tiering) is mapped through a memfd

    [Theory]
    [InlineData("plain", 3000)]
    [InlineData("plain, a new policy each spawn", 3000)]
    [InlineData("random_seed", 2000)]    // each sandbox generates its 256 KiB of seeded bytes: ~4 ms
    [InlineData("time_start", 3000)]
    [InlineData("network host rule", 3000)]
    [InlineData("/proc view", 800)]      // each sandbox makes and removes a stand-in /proc listing: 8-35 ms here
    [InlineData("fs_mount", 3000)]
    [InlineData("workdir", 800)]         // a shell writes a file of the workdir: copy-up, commit (one at a time per folder)
    [InlineData("port_remap", 3000)]
    [InlineData("http rule", 1000)]      // a proxy per sandbox: a listener, a request through it, the CA bundle served
    [InlineData("http rule, socket-copied body", 300)]   // a body larger than the buffer: a native buffer and a thread move it
    [InlineData("max_memory, cpu and a timeout", 3000)]
    [InlineData("named, listed by ps meanwhile", 3000)]   // each is registered; another thread lists and inspects them
    public async Task A_sandbox_gives_back_what_the_parent_held_for_it(string kind, int spawns)
    {
        var policy = PolicyOf(kind);
        var command = CommandOf(kind);
        using var temp = new TempDir();
        // Temp folders the supervisor makes (the /proc listing) go here, where no other test run makes any.
        var savedTemp = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", temp.Path);
        try
        {
            await WhileListing(kind, SpawnMany(policy, command, WarmUp));
            var warm = ProcessResources.Now();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var listings = await WhileListing(kind, SpawnMany(policy, command, spawns));
            var elapsed = clock.Elapsed;
            if (listings > 0) output.WriteLine($"  {listings} listings meanwhile");
            var after = await Settled(warm, FdSlackOf(kind), temp.Path);
            var strays = Directory.GetFileSystemEntries(temp.Path);
            output.WriteLine($"{kind}: {spawns} spawns, {Concurrency} at a time, in {elapsed.TotalSeconds:F1} s");
            output.WriteLine($"  warm:  {warm}");
            output.WriteLine($"  after: {after}");

            Assert.True(after.Fds <= warm.Fds + FdSlackOf(kind), $"fds: {warm.Fds} warm, {after.Fds} after {spawns} spawns");
            Assert.True(after.Memfds <= warm.Memfds, $"memfds: {warm.Memfds} warm, {after.Memfds} after");
            Assert.True(after.MemfdBytes <= warm.MemfdBytes, $"memfd bytes: {warm.MemfdBytes} warm, {after.MemfdBytes} after");
            Assert.True(after.RssShmemKiB <= warm.RssShmemKiB + ShmemSlackKiB, $"RssShmem: {warm.RssShmemKiB} KiB warm, {after.RssShmemKiB} KiB after");
            Assert.True(after.Threads <= warm.Threads + ThreadSlack, $"threads: {warm.Threads} warm, {after.Threads} after");
            Assert.Empty(strays);
            if (kind == "workdir") Assert.Empty(Directory.GetFileSystemEntries(programs.Storage));
        }
        finally
        {
            Environment.SetEnvironmentVariable("TMPDIR", savedTemp);
        }
    }

    [Theory]
    [InlineData("plain", 3000)]
    [InlineData("network host rule", 3000)]
    [InlineData("fs_mount", 3000)]
    public async Task A_session_gives_back_what_each_exec_held(string kind, int execs)
    {
        var backend = new LocalSandboxBackend();
        var session = await backend.ProvisionAsync(OnePolicyOf(kind));
        var command = CommandOf(kind);
        try
        {
            async Task ExecMany(int count)
            {
                var next = 0;
                async Task Worker()
                {
                    while (Interlocked.Increment(ref next) <= count)
                        AssertSucceeded(await backend.ExecAsync(session, new ExecRequest(command) { Timeout = TimeSpan.FromSeconds(60) }));
                }
                await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(Worker)));
            }
            await ExecMany(WarmUp);
            // The child prepared for the next exec holds fds of its own as long as the session lives; on a busy machine
            // it may still be being made when the warm-up ends, and would then count after the execs and not before.
            if (((LocalSession)session.BackendState!).NextPrepared is { } prepared) await prepared;
            var warm = ProcessResources.Now();
            await ExecMany(execs);
            var after = await Settled(warm, FdSlack);
            output.WriteLine($"session, {kind}: {execs} execs");
            output.WriteLine($"  warm:  {warm}");
            output.WriteLine($"  after: {after}");
            Assert.True(after.Fds <= warm.Fds + FdSlack, $"fds: {warm.Fds} warm, {after.Fds} after {execs} execs");
            Assert.True(after.Memfds <= warm.Memfds, $"memfds: {warm.Memfds} warm, {after.Memfds} after");
            Assert.True(after.Threads <= warm.Threads + ThreadSlack, $"threads: {warm.Threads} warm, {after.Threads} after");
        }
        finally
        {
            await backend.TerminateAsync(session);
        }
        Assert.False(Directory.Exists(session.TempFolder));
    }

    /// <summary>
    /// A build node provisions a session per project and build and terminates it at the build's end; each provisioning
    /// confines its first command's child ahead, which an unused session must end and reap too.
    /// </summary>
    [Theory]
    [InlineData(false, 1000)]
    [InlineData(true, 1000)]
    public async Task Sessions_provisioned_and_terminated_give_back_what_they_held(bool execOnce, int sessions)
    {
        var backend = new LocalSandboxBackend();
        var policy = programs.Base().Build();
        using var temp = new TempDir();
        var savedTemp = Environment.GetEnvironmentVariable("TMPDIR");
        // The sessions' temp folders go here, where no other test run makes any.
        Environment.SetEnvironmentVariable("TMPDIR", temp.Path);
        try
        {
            async Task Cycle(int count)
            {
                var next = 0;
                async Task Worker()
                {
                    while (Interlocked.Increment(ref next) <= count)
                    {
                        var session = await backend.ProvisionAsync(policy);
                        try
                        {
                            if (execOnce) AssertSucceeded(await backend.ExecAsync(session, new ExecRequest(["/bin/true"]) { Timeout = TimeSpan.FromSeconds(60) }));
                        }
                        finally
                        {
                            await backend.TerminateAsync(session);
                        }
                    }
                }
                await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(Worker)));
            }
            static string[] Children() => [.. Directory.GetDirectories("/proc/self/task").SelectMany(ChildrenOf)];
            // A thread may end between the listing and the read (its children then belong to another thread).
            static string[] ChildrenOf(string task)
            {
                try { return File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries); }
                catch (IOException) { return []; }
            }
            await Cycle(WarmUp);
            var warm = ProcessResources.Now();
            // A child an earlier test's sandbox prepared for its policy's next start may still wait: it is not counted.
            var before = Children();
            await Cycle(sessions);
            // Every prepared child ended and reaped once its session's termination returned, even one still being made.
            var left = Children().Except(before).ToArray();
            var children = left.Length;
            foreach (var pid in left)
            {
                try { output.WriteLine($"  child {pid}: {File.ReadAllText($"/proc/{pid}/comm").Trim()} {File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2]}"); }
                catch (IOException) { }
            }
            var after = await Settled(warm, FdSlack, temp.Path);
            output.WriteLine($"sessions{(execOnce ? ", one exec each" : "")}: {sessions}");
            output.WriteLine($"  warm:  {warm}");
            output.WriteLine($"  after: {after}, children {children}");
            Assert.True(after.Fds <= warm.Fds + FdSlack, $"fds: {warm.Fds} warm, {after.Fds} after {sessions} sessions");
            Assert.True(after.Memfds <= warm.Memfds, $"memfds: {warm.Memfds} warm, {after.Memfds} after");
            Assert.True(after.Threads <= warm.Threads + ThreadSlack, $"threads: {warm.Threads} warm, {after.Threads} after");
            Assert.Empty(Directory.GetFileSystemEntries(temp.Path));
            Assert.Equal(0, children);
        }
        finally
        {
            Environment.SetEnvironmentVariable("TMPDIR", savedTemp);
        }
    }

    [Fact]
    public async Task A_sandbox_that_runs_jobs_in_turn_holds_no_more_after_thousands_of_them()
    {
        // A shared test child's life: each job starts by opening the job-start file (a new folder, the next seed, the
        // kept copy of the seeded device renewed in place) and reads the device; the parent is counted after a warm-up
        // and again after thousands of jobs, while the same sandbox still runs.
        const int Warm = WarmUp, Jobs = 1500;
        using var dir = new TempDir();
        File.WriteAllText(dir["job-start"], "");
        Directory.CreateDirectory(dir["jobs"]);
        var jobs = new Sandlock.Supervision.JobStarts(dir["job-start"]);
        for (var n = 0; n < Warm + Jobs; n++) jobs.Queue((ulong)n, dir[$"jobs/{n}"]);
        string Phase(int count, string go) =>
            $"i=0; while [ $i -lt {count} ]; do : < {dir["job-start"]}; read -r -n 16 x <&3; i=$((i+1)); done; echo phase; until [ -e {dir[go]} ]; do sleep 0.01; done";
        var phases = new SemaphoreSlim(0);
        await using var sandbox = new Sandbox(programs.Base().FsRead(dir.Path).FsWrite(dir["jobs"]).RandomSeed(1).Build(),
            ["/bin/bash", "-c", $"exec 3< /dev/urandom; {Phase(Warm, "go1")}; {Phase(Jobs, "go2")}"])
        {
            Timeout = TimeSpan.FromMinutes(5),
            Handlers = [jobs],
            OnStandardOutput = chunk =>
            {
                foreach (var _ in System.Text.Encoding.ASCII.GetString(chunk).Split('\n').Where(l => l == "phase")) phases.Release();
            },
        };
        sandbox.Start();
        var exit = sandbox.WaitAsync();
        async Task NextPhase()
        {
            var phase = phases.WaitAsync();
            Assert.Same(phase, await Task.WhenAny(phase, exit));
        }

        await NextPhase();
        var warm = ProcessResources.Now();
        File.WriteAllText(dir["go1"], "");
        await NextPhase();
        var after = await Settled(warm, FdSlack);
        File.WriteAllText(dir["go2"], "");
        AssertSucceeded(await exit);
        output.WriteLine($"jobs: {Jobs} in one sandbox");
        output.WriteLine($"  warm:  {warm}");
        output.WriteLine($"  after: {after}");
        Assert.Equal(Warm + Jobs, jobs.Started);
        Assert.True(after.Fds <= warm.Fds + FdSlack, $"fds: {warm.Fds} warm, {after.Fds} after {Jobs} jobs");
        Assert.True(after.Memfds <= warm.Memfds, $"memfds: {warm.Memfds} warm, {after.Memfds} after");
        Assert.True(after.MemfdBytes <= warm.MemfdBytes, $"memfd bytes: {warm.MemfdBytes} warm, {after.MemfdBytes} after");
        Assert.True(after.Threads <= warm.Threads + ThreadSlack, $"threads: {warm.Threads} warm, {after.Threads} after");
        // Only the last job's folder is left, for the sandbox's owner to remove.
        Assert.Equal([dir[$"jobs/{Warm + Jobs - 1}"]], Directory.GetFileSystemEntries(dir["jobs"]));
    }

    // The first proxies' HttpClients open a few process-wide sockets .NET keeps (4 here, the same after 1000 or
    // 3000 sandboxes); a per-sandbox leak would show as thousands.
    private static int FdSlackOf(string kind) => kind.StartsWith("http rule", StringComparison.Ordinal) ? FdSlack + 4 : FdSlack;

    private Func<int, SandboxPolicy> PolicyOf(string kind)
    {
        // As a test host does: every test builds a policy of its own.
        if (kind == "plain, a new policy each spawn") return n => programs.Base().Env($"SANDLOCK_LEAK_TEST={n}").Build();
        var policy = OnePolicyOf(kind);
        return _ => policy;
    }

    private SandboxPolicy OnePolicyOf(string kind) => kind switch
    {
        "plain" => programs.Base().Build(),
        "random_seed" => programs.Base().RandomSeed(7).Build(),
        "time_start" => programs.Base().TimeStart("2000-01-01T00:00:00Z").Build(),
        // A host name: the supervisor checks the connect and serves the pinned /etc/hosts.
        "network host rule" => programs.Base().NetAllow("localhost:9").Build(),
        "/proc view" => programs.Base().FsRead("/proc").Build(),
        "fs_mount" => programs.Base().FsMount($"/mnt/sandlock-leak-test:{programs.Mounted}:ro").Build(),
        "workdir" => programs.Base().Workdir(programs.Workdir).FsStorage(programs.Storage).Build(),
        // Every sandbox binds the same port at once: all but one get another real port.
        "port_remap" => programs.Base().PortRemap().NetAllowBind(18080).Build(),
        // A memory watchdog and a CPU throttle per sandbox (RunAsync adds the timeout).
        "max_memory, cpu and a timeout" => programs.Base().MaxMemory("256M").Cpu(90).Build(),
        "named, listed by ps meanwhile" => programs.Base().Name($"leak-test-{Environment.ProcessId}").Build(),
        "http rule" or "http rule, socket-copied body" => programs.Base().HttpAllow("GET 127.0.0.1/*").HttpPort($"{programs.HttpPort}").Build(),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private string[] CommandOf(string kind) => kind switch
    {
        "random_seed" => [programs.Touch, "/dev/urandom", "/dev/random"],
        "network host rule" => [programs.Touch, "/etc/hosts", "connect"],
        "/proc view" => [programs.Touch, "/proc", "/proc/self/stat"],
        "fs_mount" => [programs.Touch, "/mnt/sandlock-leak-test/file"],
        "workdir" => ["/bin/sh", "-c", $"echo x > {programs.Workdir}/file && ls {programs.Workdir} > /dev/null"],
        "port_remap" => [programs.Touch, "bind"],
        "http rule" => ["/bin/bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{programs.HttpPort} && printf 'GET /x HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 ' && cat /etc/ssl/certs/ca-certificates.crt > /dev/null"],
        // The whole body must arrive (more than its 256 KiB with the head), then the close the request asked for.
        "http rule, spliced body" => ["/bin/bash", "-c", $"exec 3<>/dev/tcp/127.0.0.1/{programs.HttpPort} && printf 'GET /big HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' >&3 && test $(cat <&3 | wc -c) -gt 262144"],
        _ => [programs.Touch],
    };

    /// <summary>
    /// For the registry's kind: lists this process's sandboxes (through its socket, as sandlock ps does), inspects
    /// one, over and over until <paramref name="spawning"/> ends; returns how many listings it made.
    /// </summary>
    private static async Task<int> WhileListing(string kind, Task spawning)
    {
        if (kind != "named, listed by ps meanwhile")
        {
            await spawning;
            return 0;
        }
        var listings = 0;
        var lister = Task.Run(() =>
        {
            while (!spawning.IsCompleted)
            {
                var ours = Sandlock.Lifecycle.Registry.RegistryClient.List().Where(s => s.OwnerPid == Environment.ProcessId).ToList();
                listings++;
                if (ours.Count == 0) continue;
                // Either may have ended since it was listed.
                try { Sandlock.Lifecycle.Registry.RegistryClient.Inspect(ours[0].Id); }
                catch (Sandlock.Lifecycle.Registry.RegistryException) { }
            }
        });
        await Task.WhenAll(spawning, lister);
        return listings;
    }

    private static async Task SpawnMany(Func<int, SandboxPolicy> policy, string[] command, int count)
    {
        var next = 0;
        async Task Worker()
        {
            while (Interlocked.Increment(ref next) is var n && n <= count)
            {
                var result = await Sandbox.RunAsync(policy(n), command, TimeSpan.FromSeconds(60));
                AssertSucceeded(result);
            }
        }
        await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(Worker)));
    }

    /// <summary>
    /// A result completes as its sandbox ends; what a held call in flight then still uses is released when the call
    /// returns, and idle threads leave on their own: waits for the counts to come back, with a hang guard.
    /// </summary>
    /// <summary>
    /// Waits (at most a minute) until what the spawns held is given back; <paramref name="tempFolder"/>, when given, must
    /// be empty too: a call of a process being killed may still be in a handler when its sandbox's result is out.
    /// </summary>
    private static async Task<ProcessResources> Settled(ProcessResources warm, int fdSlack, string? tempFolder = null)
    {
        var guard = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var now = ProcessResources.Now();
            var back = now.Fds <= warm.Fds + fdSlack && now.Memfds <= warm.Memfds && now.MemfdBytes <= warm.MemfdBytes
                && now.RssShmemKiB <= warm.RssShmemKiB + ShmemSlackKiB && now.Threads <= warm.Threads + ThreadSlack
                && (tempFolder is null || Directory.GetFileSystemEntries(tempFolder).Length == 0);
            if (back || guard.Elapsed > TimeSpan.FromSeconds(60)) return now;
            await Task.Delay(50);
        }
    }
}

/// <summary>What this process holds: open fds, the memfds among them and their size, resident shared memory, threads.</summary>
internal sealed record ProcessResources(int Fds, int Memfds, long MemfdBytes, long RssShmemKiB, int Threads)
{
    public static ProcessResources Now()
    {
        int fds = 0, memfds = 0;
        long memfdBytes = 0;
        // Listed first: the opens below must not count themselves.
        foreach (var fd in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            fds++;
            if (new FileInfo(fd).LinkTarget is not { } target || !target.StartsWith("/memfd:", StringComparison.Ordinal)) continue;
            memfds++;
            try
            {
                using var handle = File.OpenHandle(fd);
                memfdBytes += RandomAccess.GetLength(handle);
            }
            catch (IOException) { /* closed since it was listed */ }
        }
        var status = File.ReadAllLines("/proc/self/status");
        long Field(string name) => long.Parse(status.First(l => l.StartsWith(name + ":", StringComparison.Ordinal))
            .Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]);
        return new ProcessResources(fds, memfds, memfdBytes, Field("RssShmem"), (int)Field("Threads"));
    }

    public override string ToString() =>
        $"{Fds} fds, {Memfds} memfds ({MemfdBytes >> 10} KiB), RssShmem {RssShmemKiB} KiB, {Threads} threads";
}
