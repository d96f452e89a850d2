namespace Sandlock.Testing.Tests.Support;

public static class ReadyToRunImage
{
    /// <summary>Whether the assembly carries ReadyToRun native code beside its IL (a ManagedNativeHeader in its CLI header).</summary>
    public static bool Is(string assembly)
    {
        using var reader = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(assembly));
        return reader.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 };
    }

    /// <summary>
    /// Whether the image also holds code of the framework's generics instantiated over its own types (crossgen2's
    /// cross-module code: READYTORUN_FLAG_UNRELATED_R2R_CODE in its ReadyToRun header), which a process would
    /// otherwise JIT-compile at every start.
    /// </summary>
    public static bool HoldsFrameworkGenericCode(string assembly)
    {
        const uint UnrelatedR2RCode = 0x80;
        using var reader = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(assembly));
        if (reader.PEHeaders.CorHeader is not { ManagedNativeHeaderDirectory: { Size: > 0 } header }) return false;
        var block = reader.GetSectionData(header.RelativeVirtualAddress).GetReader();
        block.ReadUInt32(); // signature
        block.ReadUInt16(); // major version
        block.ReadUInt16(); // minor version
        return (block.ReadUInt32() & UnrelatedR2RCode) != 0;
    }
}
