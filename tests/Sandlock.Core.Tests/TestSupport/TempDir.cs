namespace Sandlock.Tests.TestSupport;

/// <summary>A fresh directory under /tmp, removed with everything in it on dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("sandlock-test-").FullName;
        // Unprivileged runs of the suite share these directories with another user.
        File.SetUnixFileMode(Path, (UnixFileMode)0b111_111_111);
    }

    public string Path { get; }

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public string Write(string relative, string content)
    {
        var file = this[relative];
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, content);
        return file;
    }

    public string Mkdir(string relative) => Directory.CreateDirectory(this[relative]).FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
