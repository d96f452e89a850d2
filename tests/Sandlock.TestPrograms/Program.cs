// http METHOD URL [BODY]: one request with HttpClient; prints the status code, then the body.
// digest URL: one GET with HttpClient, the body read as a stream; prints the status code, the body's length and SHA-256.
// sample FOLDER: what a build or test might print that differs between runs unless the sandbox pins it: the year,
// Guids, a Random sequence, Random.Shared and a string hash code, the order of a HashSet<string> and FOLDER's listing.
// alloc MB: allocates and touches MB mebibytes, then prints "allocated MB".
// random: prints what .NET draws from the system's randomness (Random, Random.Shared, Guid, string hash codes and
// so HashSet order); then RandomNumberGenerator on its own line, since OpenSSL's generator also mixes in addresses.
// own NAME COMMAND...: starts COMMAND in a sandbox named NAME (reading the system only), prints "started ID PID",
// and waits for it: an owner process for the registry tests to find, kill or kill -9.
// session COMMAND...: provisions a session (reading the system and /proc), prints "session TEMPFOLDER", runs COMMAND
// in it and waits: an owner of a session folder and of a /proc listing, for the sweep tests to kill -9.
// restore FOLDER: restores the checkpoint in FOLDER under the policy it keeps, on this program's stdio, waits for
// it and prints "restored STATUS": a process of its own that continues what another checkpointed.
// self: prints "process PID", then the Tgid of /proc/self/status and the Tgid and Pid of /proc/thread-self/status, as
// the main thread and then a new thread read them ("main TGID TGID TID", "thread TGID TGID TID").
// time: prints DateTime.UtcNow's year, then DateTime.UtcNow and DateTimeOffset.Now in ISO 8601.
switch (args)
{
    case ["http", var method, var url, .. var rest]:
        // One request with HttpClient (trusting what SSL_CERT_FILE names, as any .NET program); prints status and body.
        using (var client = new HttpClient())
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (rest is [var body]) request.Content = new StringContent(body);
            try
            {
                using var response = client.Send(request);
                Console.WriteLine((int)response.StatusCode);
                Console.Write(response.Content.ReadAsStringAsync().GetAwaiter().GetResult());
                return 0;
            }
            catch (HttpRequestException e)
            {
                Console.WriteLine($"failed: {e.Message} {e.InnerException?.Message}");
                return 4;
            }
        }
    case ["digest", var url]:
        using (var client = new HttpClient())
        {
            try
            {
                using var response = client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead).GetAwaiter().GetResult();
                using var body = response.Content.ReadAsStream();
                using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
                var buffer = new byte[64 * 1024];
                long length = 0;
                for (int read; (read = body.Read(buffer)) > 0; length += read) hash.AppendData(buffer, 0, read);
                Console.WriteLine($"{(int)response.StatusCode} {length} {Convert.ToHexStringLower(hash.GetHashAndReset())}");
                return 0;
            }
            catch (HttpRequestException e)
            {
                Console.WriteLine($"failed: {e.Message} {e.InnerException?.Message}");
                return 4;
            }
        }
    case ["list", var folder]:
        // In the order the file system (or the sandbox) hands the names out.
        foreach (var file in Directory.EnumerateFileSystemEntries(folder)) Console.WriteLine(Path.GetFileName(file));
        return 0;
    case ["random"]:
        var names = new HashSet<string> { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel" };
        Console.WriteLine($"{new Random().Next()} {Random.Shared.Next()} {Guid.NewGuid()}");
        Console.WriteLine($"{"abc".GetHashCode()} {string.Join(',', names)}");
        Console.WriteLine(System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue));
        return 0;
    case ["self"]:
        static string Field(string file, string name) =>
            File.ReadLines(file).First(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();
        static string Seen(string who) =>
            $"{who} {Field("/proc/self/status", "Tgid")} {Field("/proc/thread-self/status", "Tgid")} {Field("/proc/thread-self/status", "Pid")}";
        Console.WriteLine($"process {Environment.ProcessId}");
        Console.WriteLine(Seen("main"));
        string? fromThread = null;
        var thread = new Thread(() => fromThread = Seen("thread"));
        thread.Start();
        thread.Join();
        Console.WriteLine(fromThread);
        return 0;
    case ["time"]:
        Console.WriteLine(DateTime.UtcNow.Year);
        Console.WriteLine($"{DateTime.UtcNow:O} {DateTimeOffset.Now:O}");
        return 0;
    case ["sample", var folder]:
        var keys = new HashSet<string> { "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel" };
        Console.WriteLine(DateTime.UtcNow.Year);
        Console.WriteLine(Guid.NewGuid());
        Console.WriteLine(Guid.NewGuid());
        var random = new Random();
        Console.WriteLine(string.Join(',', Enumerable.Range(0, 5).Select(_ => random.Next(1000))));
        Console.WriteLine($"{Random.Shared.Next()} {"abc".GetHashCode()}");
        Console.WriteLine(string.Join(',', keys));
        Console.WriteLine(string.Join(',', Directory.EnumerateFileSystemEntries(folder).Select(Path.GetFileName)));
        return 0;
    case ["alloc", var size]:
        var mebibytes = int.Parse(size);
        var blocks = new List<byte[]>();
        try
        {
            for (var i = 0; i < mebibytes; i++)
            {
                var block = new byte[1 << 20];
                Array.Fill(block, (byte)i);
                blocks.Add(block);
            }
            Console.WriteLine($"allocated {blocks.Count}");
            return 0;
        }
        catch (OutOfMemoryException)
        {
            Console.WriteLine($"out of memory after {blocks.Count}");
            return 3;
        }
    case ["own", var name, .. var owned]:
        var builder = SystemReads().Name(name);
        await using (var sandbox = new Sandlock.Sandbox(builder.Build(), owned, Sandlock.StdioMode.Inherit))
        {
            sandbox.Start();
            Console.WriteLine($"started {sandbox.Id} {sandbox.Pid}");
            Console.WriteLine((await sandbox.WaitAsync()).Status);
        }
        return 0;
    case ["session", .. var command]:
        var sessionPolicy = SystemReads().FsRead("/proc");
        var backend = new Sandlock.LocalSandboxBackend();
        var session = await backend.ProvisionAsync(sessionPolicy.Build());
        Console.WriteLine($"session {session.TempFolder}");
        var ran = await backend.ExecAsync(session, new Sandlock.ExecRequest(command) { Stdio = Sandlock.StdioMode.Inherit });
        Console.WriteLine(ran.Status);
        await backend.TerminateAsync(session);
        return 0;
    case ["provision"]:
        // Provisions a session and runs nothing in it until stdin closes.
        var provisionPolicy = SystemReads();
        var provisioner = new Sandlock.LocalSandboxBackend();
        var provisioned = await provisioner.ProvisionAsync(provisionPolicy.Build());
        Console.WriteLine("provisioned");
        await Console.In.ReadToEndAsync();
        await provisioner.TerminateAsync(provisioned);
        return 0;
    case ["restore", var folder]:
        await using (var restored = await Sandlock.Sandbox.RestoreAsync(folder, Sandlock.StdioMode.Inherit))
            Console.WriteLine($"restored {(await restored.WaitAsync()).Status}");
        return 0;
    default:
        Console.Error.WriteLine("usage: http METHOD URL [BODY] | digest URL | alloc MB | random | time | list FOLDER | sample FOLDER [random] | own NAME COMMAND... | session COMMAND... | provision | restore FOLDER");
        return 2;
}

// The system folders a command needs to start, those of them this machine has.
static Sandlock.SandboxPolicyBuilder SystemReads()
{
    var builder = new Sandlock.SandboxPolicyBuilder();
    foreach (var path in new[] { "/usr", "/lib", "/lib64", "/bin" }.Where(Path.Exists)) builder.FsRead(path);
    return builder;
}
