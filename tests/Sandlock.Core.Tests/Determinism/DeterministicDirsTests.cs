using Sandlock.Tests.TestSupport;
using static Sandlock.Tests.TestSupport.Sandboxed;

namespace Sandlock.Tests.Determinism;

public sealed class DeterministicDirsTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public async Task Listings_come_back_sorted_by_name()
    {
        foreach (var name in new[] { "zeta", "alpha", "mike", "bravo", "yankee" }) _tmp.Write(name, "");
        var result = await Run(SystemOnly().FsRead(_tmp.Path).DeterministicDirs(), "ls", "-f", _tmp.Path);
        AssertSucceeded(result);
        Assert.Equal(". .. alpha bravo mike yankee zeta", result.StandardOutputText.Replace('\n', ' ').Trim());
    }

    [Fact]
    public async Task A_large_directory_read_in_many_calls_lists_every_name_once_in_order()
    {
        var big = _tmp.Mkdir("big");
        for (var i = 0; i < 10_000; i++) File.WriteAllBytes(Path.Combine(big, $"f{(i * 7919) % 10_000}"), []);
        var result = await Run(SystemOnly().FsRead(_tmp.Path).DeterministicDirs(), "ls", "-f", big);
        AssertSucceeded(result);
        var names = result.StandardOutputText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(n => n is not "." and not "..").ToList();
        Assert.Equal(10_000, names.Count);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
    }

    [Fact]
    public async Task Python_and_dotnet_see_the_sorted_order_too()
    {
        foreach (var name in new[] { "c.txt", "a.txt", "b.txt" }) _tmp.Write(name, "");
        if (File.Exists("/usr/bin/python3"))
        {
            var python = await Run(SystemOnly().FsRead(_tmp.Path).DeterministicDirs(), "/usr/bin/python3", "-c", $"import os; print(os.listdir('{_tmp.Path}'))");
            Assert.Equal("['a.txt', 'b.txt', 'c.txt']\n", python.StandardOutputText);
        }
        var dotnet = await Run(DotnetPrograms.Policy().FsRead(_tmp.Path).DeterministicDirs(), DotnetPrograms.Command("list", _tmp.Path));
        AssertSucceeded(dotnet);
        Assert.Equal("a.txt\nb.txt\nc.txt\n", dotnet.StandardOutputText);
    }

    [Fact]
    public async Task Rewinding_lists_again_and_a_directory_changed_while_read_lists_each_name_once()
    {
        foreach (var name in new[] { "b", "a" }) _tmp.Write(name, "");
        var script = $"import os\nfd = os.open('{_tmp.Path}', os.O_RDONLY)\nd = os.scandir(fd)\nfirst = next(d).name\nopen('{_tmp.Path}/0', 'w').close()\nrest = [e.name for e in d]\nprint(first, rest, sorted(os.listdir('{_tmp.Path}')))";
        if (!File.Exists("/usr/bin/python3")) return;
        var result = await Run(SystemOnly().FsWrite(_tmp.Path).DeterministicDirs(), "/usr/bin/python3", "-c", script);
        AssertSucceeded(result);
        Assert.Equal("a ['b'] ['0', 'a', 'b']\n", result.StandardOutputText);
    }

    [Fact]
    public async Task A_worker_thread_lists_in_order_too()
    {
        // The supervisor reads on the caller's behalf through a pidfd: a thread that is not its group's leader too.
        foreach (var name in new[] { "c", "a", "b" }) _tmp.Write(name, "");
        if (!File.Exists("/usr/bin/python3")) return;
        var script = $"import os, threading\nout = []\nt = threading.Thread(target=lambda: out.append(os.listdir('{_tmp.Path}')))\nt.start(); t.join()\nprint(out[0])";
        var result = await Run(SystemOnly().FsRead(_tmp.Path).DeterministicDirs(), "/usr/bin/python3", "-c", script);
        AssertSucceeded(result);
        Assert.Equal("['a', 'b', 'c']\n", result.StandardOutputText);
    }
}
