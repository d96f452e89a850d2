using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Lifecycle;

[CollectionDefinition(nameof(PreparedChildWorkingDirectoryTests), DisableParallelization = true)]
public sealed class PreparedChildWorkingDirectoryCollection;

/// <summary>Moves this process's working directory, so nothing else runs meanwhile.</summary>
[Collection(nameof(PreparedChildWorkingDirectoryTests))]
public sealed class PreparedChildWorkingDirectoryTests : IDisposable
{
    private readonly LocalSandboxBackend _backend = new();
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_command_launched_in_a_prepared_child_starts_where_this_process_is_at_launch()
    {
        var session = await _backend.ProvisionAsync(SystemOnly().FsRead(_dir.Path).Build());
        var before = Environment.CurrentDirectory;
        try
        {
            AssertSucceeded(await _backend.ExecAsync(session, new ExecRequest(["true"])));
            var prepared = await PreparedChildTests.NextPrepared(session);
            Environment.CurrentDirectory = _dir.Path;
            var result = await _backend.ExecAsync(session, new ExecRequest(["sh", "-c", "pwd; echo $$"]));
            AssertSucceeded(result);
            Assert.Equal($"{_dir.Path}\n{prepared.Pid}\n", result.StandardOutputText);
        }
        finally
        {
            Environment.CurrentDirectory = before;
            await _backend.TerminateAsync(session);
        }
    }
}
