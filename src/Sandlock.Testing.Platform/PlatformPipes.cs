namespace Sandlock.Testing.Platform;

/// <summary>
/// The folder of the platform's named pipes (unix sockets) between controller and test host. A confined host may
/// reach a unix socket only under a write path, and the platform's default, the temp folder, is too wide to grant; so
/// a confined run gets a folder of its own (TESTINGPLATFORM_PIPE_DIRECTORY), made before the platform makes any
/// pipe and removed when the process exits; one a killed or crashed run left is removed by the next confined run
/// (its owner mark, <see cref="Sandlock.Interop.TempFolderOwnership"/>, is no longer held).
/// </summary>
internal static class PlatformPipes
{
    private const string Variable = "TESTINGPLATFORM_PIPE_DIRECTORY";

    public static string? Directory { get; private set; }

    public static void Prepare()
    {
        if (Directory is not null) return;
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } chosen && System.IO.Directory.Exists(chosen))
        {
            Directory = Path.GetFullPath(chosen);
            return;
        }
        Sandlock.Interop.TempFolderOwnership.SweepOnce();
        var own = System.IO.Directory.CreateTempSubdirectory("sandlock-pipes-").FullName;
        var owner = Sandlock.Interop.TempFolderOwnership.Claim(own);
        Environment.SetEnvironmentVariable(Variable, own);
        Directory = own;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { System.IO.Directory.Delete(own, recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            owner?.Dispose();
        };
    }
}
