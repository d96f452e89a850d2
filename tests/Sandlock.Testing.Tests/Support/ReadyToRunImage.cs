namespace Sandlock.Testing.Tests.Support;

public static class ReadyToRunImage
{
    /// <summary>Whether the assembly carries ReadyToRun native code beside its IL (a ManagedNativeHeader in its CLI header).</summary>
    public static bool Is(string assembly)
    {
        using var reader = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(assembly));
        return reader.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }
}
