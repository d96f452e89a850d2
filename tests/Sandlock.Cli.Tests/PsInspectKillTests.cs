using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using static Sandlock.Tests.CliRunner;

namespace Sandlock.Tests;

/// <summary>
/// sandlock ps, inspect and kill against sandboxes that real <c>sandlock run</c> processes started, as a user would
/// use them from another terminal.
/// </summary>
public sealed class PsInspectKillTests(UnprivilegedTests.UnprivilegedCli unprivileged) : IClassFixture<UnprivilegedTests.UnprivilegedCli>
{
    private static string UniqueName(string what) => $"{what}-{Guid.NewGuid():N}"[..20];

    [Fact]
    public async Task Ps_removes_the_temp_folder_of_a_killed_run_and_keeps_one_in_use()
    {
        var temp = Directory.CreateTempSubdirectory("sandlock-ps-sweep-").FullName;
        try
        {
            // What a run killed with SIGKILL leaves: its folder and the owner mark nobody holds any more.
            var abandoned = Path.Combine(temp, "sandlock-proc-abandoned");
            Directory.CreateDirectory(abandoned);
            await File.WriteAllTextAsync(Path.Combine(abandoned, "1"), "");
            await File.WriteAllTextAsync(abandoned + ".owner", "");
            var inUse = Path.Combine(temp, "sandlock-proc-in-use");
            Directory.CreateDirectory(inUse);
            using var mark = Sandlock.Interop.TempFolderOwnership.Claim(inUse);
            Assert.NotNull(mark);

            var ps = await RunAs(null, new Dictionary<string, string> { ["TMPDIR"] = temp }, "ps");

            Assert.True(ps.ExitCode == 0, ps.Stderr);
            Assert.False(Directory.Exists(abandoned), "the killed run's folder is still there");
            Assert.False(File.Exists(abandoned + ".owner"));
            Assert.True(Directory.Exists(inUse), "a folder in use was removed");
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    }

    [Fact]
    public async Task A_named_run_is_listed_inspected_and_killed_and_the_run_exits_137()
    {
        var name = UniqueName("web");
        using var run = StartRun(null, ["run", "--name", name, .. SystemReads, "-r", "/lib64", "--", "sleep", "60"]);
        try
        {
            var line = await Until(async () => (await Run("ps")).Stdout.Split('\n').FirstOrDefault(l => l.Contains($" {name} ", StringComparison.Ordinal)), $"{name} in sandlock ps");
            Assert.EndsWith("sleep 60", line.TrimEnd());

            var json = await Run("inspect", name, "--json");
            Assert.Equal(0, json.ExitCode);
            using var document = JsonDocument.Parse(json.Stdout);
            var root = document.RootElement;
            Assert.Equal(name, root.GetProperty("name").GetString());
            var pid = root.GetProperty("pid").GetInt32();
            Assert.True(pid > 0);
            Assert.Equal(run.Id, root.GetProperty("owner_pid").GetInt32());
            Assert.Equal(["sleep", "60"], root.GetProperty("command").EnumerateArray().Select(e => e.GetString()));
            Assert.Contains(root.GetProperty("policy").EnumerateArray(), s => s.GetProperty("key").GetString() == "fs_read"
                && s.GetProperty("value").GetString()!.Contains("/usr", StringComparison.Ordinal));
            Assert.Equal(pid, Assert.Single(root.GetProperty("processes").EnumerateArray()).GetProperty("pid").GetInt32());

            var text = await Run("inspect", name);
            Assert.Contains($"name: {name}", text.Stdout);
            Assert.Contains($"pid: {pid} (started by pid {run.Id})", text.Stdout);
            Assert.Contains("fs_read = /usr", text.Stdout);

            var kill = await Run("kill", name);
            Assert.Equal(0, kill.ExitCode);
            Assert.Contains($"killed {root.GetProperty("id").GetString()} ({name})", kill.Stdout);
            await run.WaitForExitAsync();
            Assert.Equal(137, run.ExitCode);
            Assert.DoesNotContain(name, (await Run("ps")).Stdout);
        }
        finally
        {
            if (!run.HasExited) run.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task A_run_serves_ps_from_its_waiting_main_thread_and_starts_a_supervisor_thread_only_at_the_first_held_call()
    {
        var quietName = UniqueName("quiet");
        var heldName = UniqueName("held");
        using var quiet = StartRun(null, ["run", "--name", quietName, .. SystemReads, "-r", "/lib64", "--", "sleep", "60"]);
        // With a seed, the open of /dev/urandom is held: the supervisor serves it the seeded stream.
        using var held = StartRun(null, ["run", "--name", heldName, "--random-seed", "7", .. SystemReads, "-r", "/lib64", "-r", "/dev/urandom",
            "--", "sh", "-c", "head -c 8 /dev/urandom | od -An -tx1; exec sleep 60"]);
        try
        {
            await Until(async () => (await Run("ps")).Stdout.Contains($" {quietName} ", StringComparison.Ordinal) ? "" : null, $"{quietName} in sandlock ps");
            var seeded = await held.StandardOutput.ReadLineAsync();
            Assert.Matches("^( [0-9a-f]{2}){8}$", seeded);
            await Until(async () => (await Run("ps")).Stdout.Contains($" {heldName} ", StringComparison.Ordinal) ? "" : null, $"{heldName} in sandlock ps");

            // ps found it through the registry endpoint, which the run's main thread serves while it waits.
            var quietThreads = ThreadNames(quiet.Id);
            Assert.DoesNotContain(quietThreads, t => t.StartsWith("sandlock", StringComparison.Ordinal) && t != "sandlock");
            Assert.Contains(ThreadNames(held.Id), t => t.StartsWith("sandlock superv", StringComparison.Ordinal));
        }
        finally
        {
            foreach (var run in new[] { quiet, held })
                if (!run.HasExited) run.Kill(entireProcessTree: true);
        }
    }

    private static List<string> ThreadNames(int pid) =>
        [.. Directory.GetDirectories($"/proc/{pid}/task").Select(task => File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'))];

    [Fact]
    public async Task Inspect_and_kill_of_an_unknown_or_shared_name_fail_and_say_why()
    {
        var unknown = await Run("kill", "no-such-sandbox");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no running sandbox has the id or name 'no-such-sandbox'", unknown.Stderr);

        var name = UniqueName("twin");
        using var first = StartRun(null, ["run", "--name", name, .. SystemReads, "-r", "/lib64", "--", "sleep", "60"]);
        using var second = StartRun(null, ["run", "--name", name, .. SystemReads, "-r", "/lib64", "--", "sleep", "60"]);
        try
        {
            await Until(async () => (await Run("ps")).Stdout.Split('\n').Count(l => l.Contains($" {name} ", StringComparison.Ordinal)) == 2 ? "" : null, "both in sandlock ps");
            var shared = await Run("kill", name);
            Assert.Equal(1, shared.ExitCode);
            Assert.Contains($"the name '{name}' matches 2 running sandboxes", shared.Stderr);
            Assert.False(first.HasExited || second.HasExited);
        }
        finally
        {
            foreach (var run in new[] { first, second })
                if (!run.HasExited) run.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task A_run_killed_with_sigkill_is_not_listed()
    {
        var name = UniqueName("crash");
        using var run = StartRun(null, ["run", "--name", name, .. SystemReads, "-r", "/lib64", "--", "sleep", "60"]);
        try
        {
            await Until(async () => (await Run("ps")).Stdout.Contains($" {name} ", StringComparison.Ordinal) ? "" : null, $"{name} in sandlock ps");
            run.Kill();
            await run.WaitForExitAsync();
            Assert.DoesNotContain(name, (await Run("ps")).Stdout);
            Assert.Equal(1, (await Run("inspect", name)).ExitCode);
        }
        finally
        {
            if (!run.HasExited) run.Kill(entireProcessTree: true);
        }
    }

    /// <summary>
    /// As root, against a sandbox of nobody's: root does not list it, cannot kill it through sandlock, and its owner
    /// refuses root's connection (SO_PEERCRED) even though root can reach the socket; nobody can kill it.
    /// </summary>
    [Fact]
    public async Task Another_users_sandbox_is_neither_listed_nor_answered()
    {
        if (Environment.UserName != "root") return; // needs a second user to start the other sandbox
        var name = UniqueName("theirs");
        using var run = StartRun(unprivileged.Wrapper, ["run", "--name", name, .. SystemReads, "-r", "/lib64", "--", "sleep", "60"]);
        try
        {
            // setpriv and env exec, so the run keeps the pid we started.
            // /dev/shm/sandlock-UID where /dev/shm is usable, else /tmp/sandlock-UID.
            var socket = await Until(() => Task.FromResult(new[] { "/dev/shm/sandlock-65534", "/tmp/sandlock-65534" }.Where(Directory.Exists)
                .SelectMany(folder => Directory.GetFiles(folder, $"{run.Id}-*.sock")).FirstOrDefault()), "nobody's registry socket");
            await Until(async () => (await unprivileged.Run("ps")).Stdout.Contains($" {name} ", StringComparison.Ordinal) ? "" : null, "listed for nobody");

            Assert.DoesNotContain(name, (await Run("ps")).Stdout);
            Assert.Equal(1, (await Run("kill", name)).ExitCode);

            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await client.ConnectAsync(new UnixDomainSocketEndPoint(socket));
            await client.SendAsync("{\"op\":\"list\"}\n"u8.ToArray());
            var answer = new StringBuilder();
            var buffer = new byte[4096];
            int n;
            while ((n = await client.ReceiveAsync(buffer)) > 0) answer.Append(Encoding.UTF8.GetString(buffer, 0, n));
            Assert.Contains("refused", answer.ToString());
            Assert.DoesNotContain(name, answer.ToString());
            Assert.False(run.HasExited);

            Assert.Equal(0, (await unprivileged.Run("kill", name)).ExitCode);
            await run.WaitForExitAsync();
            Assert.Equal(137, run.ExitCode);
        }
        finally
        {
            if (!run.HasExited) run.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task The_list_lives_in_XDG_RUNTIME_DIR_when_it_is_usable_and_elsewhere_when_not()
    {
        var runtime = Directory.CreateTempSubdirectory("sandlock-runtime-").FullName;
        try
        {
            File.SetUnixFileMode(runtime, (UnixFileMode)0b111_000_000);
            var name = UniqueName("xdg");
            var environment = new Dictionary<string, string> { ["XDG_RUNTIME_DIR"] = runtime };
            using var run = StartRun(null, ["run", "--name", name, .. SystemReads, "-r", "/lib64", "--", "sleep", "60"], environment);
            try
            {
                await Until(() => Task.FromResult(Directory.Exists(Path.Combine(runtime, "sandlock"))
                    ? Directory.GetFiles(Path.Combine(runtime, "sandlock"), $"{run.Id}-*.sock").FirstOrDefault() : null), "the entry in XDG_RUNTIME_DIR/sandlock");
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(runtime, "sandlock")));
                using var ps = StartRun(null, ["ps"], environment);
                Assert.Contains($" {name} ", await ps.StandardOutput.ReadToEndAsync());
                // Without it, sandlock looks in /dev/shm/sandlock-UID (or /tmp/sandlock-UID), where this run is not.
                Assert.DoesNotContain(name, (await Run("ps")).Stdout);

                // A runtime folder others may enter is not used.
                File.SetUnixFileMode(runtime, (UnixFileMode)0b111_101_101);
                using var open = StartRun(null, ["ps"], environment);
                Assert.DoesNotContain(name, await open.StandardOutput.ReadToEndAsync());
                File.SetUnixFileMode(runtime, (UnixFileMode)0b111_000_000);

                using var kill = StartRun(null, ["kill", name], environment);
                await kill.WaitForExitAsync();
                Assert.Equal(0, kill.ExitCode);
                await run.WaitForExitAsync();
                Assert.Equal(137, run.ExitCode);
            }
            finally
            {
                if (!run.HasExited) run.Kill(entireProcessTree: true);
            }
        }
        finally
        {
            Directory.Delete(runtime, true);
        }
    }

    private static Process StartRun(string[]? wrapper, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(wrapper?[0] ?? Executable) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        foreach (var a in wrapper?.Skip(1) ?? []) info.ArgumentList.Add(a);
        foreach (var a in args) info.ArgumentList.Add(a);
        var process = Process.Start(info)!;
        process.StandardInput.Close();
        return process;
    }

    /// <summary>Polls until <paramref name="probe"/> finds something; the guard only keeps a broken registry from hanging the run.</summary>
    private static async Task<T> Until<T>(Func<Task<T?>> probe, string what) where T : class
    {
        var guard = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } found) return found;
            if (guard.Elapsed > TimeSpan.FromSeconds(60)) throw new Xunit.Sdk.XunitException($"never saw {what}");
            await Task.Delay(50);
        }
    }
}
