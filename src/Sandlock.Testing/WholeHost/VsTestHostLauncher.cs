using System.Collections;
using System.Globalization;
using System.Net;
using Sandlock.Lifecycle;
using Sandlock.Testing.Policy;

namespace Sandlock.Testing.WholeHost;

/// <summary>
/// Main of the launcher VSTest starts instead of the dotnet host when a project sets <c>SandlockTestHost=true</c>
/// (RunConfiguration.DotNetHostPath names a script that runs this): it starts the real <c>dotnet exec testhost.dll</c>
/// confined by the project's policy, relays the runner's socket (<see cref="VsTestChannelRelay"/>), and prints what
/// the supervisor refused when the testhost ends. Arguments: the marker, the policy file ("" for none), the project's
/// folder, then VSTest's.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal static class VsTestHostLauncher
{
    public const string Marker = "--sandlock-vstest-host";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is not [Marker, var policyArgument, var projectDirectory, .. var hostArguments] || Environment.ProcessPath is not { } dotnet)
        {
            await Console.Error.WriteLineAsync("usage: Sandlock.Testing.Host --sandlock-vstest-host POLICYFILE PROJECTDIR DOTNET-ARGS... (VSTest starts it through RunConfiguration.DotNetHostPath)").ConfigureAwait(false);
            return 2;
        }
        if (!ProjectPolicy.FileForRun(policyArgument.Length > 0 ? policyArgument : null, projectDirectory, out var policyFile, out var missing))
        {
            await Console.Error.WriteLineAsync($"sandlock: {missing}").ConfigureAwait(false);
            return 125;
        }
        var runner = RunnerEndpoint(hostArguments);
        var temp = Directory.CreateTempSubdirectory("sandlock-testhost-").FullName;
        try
        {
            return await RunConfinedAsync(dotnet, hostArguments, runner, policyFile, projectDirectory, temp).ConfigureAwait(false);
        }
        catch (SandlockException e)
        {
            await Console.Error.WriteLineAsync($"sandlock: the confined testhost could not start: {e.Message}").ConfigureAwait(false);
            return 125;
        }
        finally
        {
            try { Directory.Delete(temp, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    private static async Task<int> RunConfinedAsync(string dotnet, string[] hostArguments, IPEndPoint? runner, string? policyFile, string projectDirectory,
        string temp)
    {
        var words = PolicyVocabulary.VsTestHost(policyFile);
        SandboxPolicy? policy = null;
        using var relay = runner is null ? null : new VsTestChannelRelay(runner, error =>
            DeniedAccess.InspectAll(error, policy!) is { } finding ? DeniedAccess.Explain(finding, words) : null);
        var arguments = relay is null ? hostArguments : PointAtRelay(hostArguments, relay.Port);
        policy = WholeHostPolicy.Build(new WholeHostRequest(
            [Environment.CurrentDirectory, .. AssemblyFolders(arguments), .. ValuesOf(arguments, "--additionalprobingpath")],
            temp,
            [.. ValuesOf(arguments, "--diag").Select(Path.GetDirectoryName).OfType<string>(), .. ResultsDirectory()],
            Environment.GetEnvironmentVariables().Cast<DictionaryEntry>().Select(e => KeyValuePair.Create((string)e.Key, (string?)e.Value)),
            Environment.CurrentDirectory,
            policyFile,
            projectDirectory)
        {
            NetAllow = relay is null ? [] : [string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{relay.Port}")],
        });

        using var stop = new CancellationTokenSource();
        var relaying = relay?.RunAsync(stop.Token) ?? Task.CompletedTask;
        await using var sandbox = new Sandbox(policy, [dotnet, .. arguments], StdioMode.Inherit);
        sandbox.Start();
        var result = await sandbox.WaitAsync().ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        try { await relaying.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        catch (System.Net.Sockets.SocketException e)
        {
            await Console.Error.WriteLineAsync($"sandlock: the relay to VSTest's runner failed: {e.Message}").ConfigureAwait(false);
        }
        foreach (var denial in result.Denials)
            await Console.Error.WriteLineAsync($"sandlock: {DeniedAccess.Explain(denial, words)}").ConfigureAwait(false);
        return result.ExitCode;
    }

    /// <summary>
    /// The run's results folder, which the adapters write: the VSTest target records it beside this launcher
    /// (sandlock-testhost.results) for each run, as VSTest tells the testhost only after it has started.
    /// </summary>
    private static IEnumerable<string> ResultsDirectory()
    {
        var record = Path.Combine(AppContext.BaseDirectory, "sandlock-testhost.results");
        return File.Exists(record) && File.ReadAllText(record).Trim() is { Length: > 0 } folder && Directory.Exists(folder) ? [folder] : [];
    }

    /// <summary>The runner's socket, from <c>--endpoint HOST:PORT</c> (or <c>--port N</c> on loopback).</summary>
    private static IPEndPoint? RunnerEndpoint(string[] arguments)
    {
        if (ValuesOf(arguments, "--endpoint").FirstOrDefault() is { } endpoint && endpoint.LastIndexOf(':') is > 0 and var colon
            && IPAddress.TryParse(endpoint[..colon], out var address) && int.TryParse(endpoint[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            return new IPEndPoint(address, port);
        return ValuesOf(arguments, "--port").FirstOrDefault() is { } text && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var only)
            ? new IPEndPoint(IPAddress.Loopback, only) : null;
    }

    /// <summary>
    /// VSTest's arguments with the relay's port.
    /// </summary>
    private static string[] PointAtRelay(string[] arguments, int port)
    {
        var result = new List<string>(arguments.Length);
        for (var i = 0; i < arguments.Length; i++)
        {
            switch (arguments[i])
            {
                case "--port" when i + 1 < arguments.Length:
                    result.Add("--port");
                    result.Add(port.ToString(CultureInfo.InvariantCulture));
                    i++;
                    break;
                case "--endpoint" when i + 1 < arguments.Length:
                    result.Add("--endpoint");
                    result.Add(string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}"));
                    i++;
                    break;
                default:
                    result.Add(arguments[i]);
                    break;
            }
        }
        return [.. result];
    }

    private static IEnumerable<string> ValuesOf(string[] arguments, string option)
    {
        for (var i = 0; i + 1 < arguments.Length; i++)
            if (arguments[i] == option) yield return arguments[i + 1];
    }

    /// <summary>The folders of the files dotnet exec is given: testhost.dll, runtimeconfig and deps.</summary>
    private static IEnumerable<string> AssemblyFolders(string[] arguments) =>
        arguments.Where(a => Path.IsPathRooted(a) && File.Exists(a)).Select(Path.GetDirectoryName).OfType<string>();
}
