using Sandlock.Supervision.Learning;
using Sandlock.Tests.TestSupport;

namespace Sandlock.Tests.Learning;

/// <summary>What the kernel opens itself to run a program, which a learned policy must grant as executed.</summary>
public sealed class ProgramInterpreterTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Real(string path) => Interop.LibcPaths.RealPath(path)!;

    [Fact]
    public void A_dynamic_program_names_its_loader()
    {
        var loader = Assert.Single(ProgramInterpreters.Of(Real("/bin/cat"), "/"));
        Assert.StartsWith("ld-", Path.GetFileName(loader), StringComparison.Ordinal);
        Assert.True(File.Exists(loader));
    }

    [Fact]
    public void A_script_names_its_interpreter_then_the_interpreters_loader()
    {
        var script = _dir.Write("run.sh", "#!/bin/sh -e\necho hi\n");
        var found = ProgramInterpreters.Of(script, "/");
        Assert.Equal(Real("/bin/sh"), found[0]);
        Assert.Equal(ProgramInterpreters.Of(Real("/bin/sh"), "/"), found.Skip(1));
    }

    [Theory]
    [InlineData("plain text\n")]
    [InlineData("#!\n")]
    [InlineData("\u007fELF\u0002\u0001 truncated")]
    public void Anything_else_names_nothing(string content) =>
        Assert.Empty(ProgramInterpreters.Of(_dir.Write("file", content), "/"));
}
