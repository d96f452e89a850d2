using System.IO.Compression;
using System.Reflection.PortableExecutable;
using Sandlock.Build.Tests.TestSupport;

namespace Sandlock.Build.Tests;

/// <summary>
/// The task folder of the packed Sandlock.Build ships ReadyToRun images that also hold the framework's generic code over
/// their own types (crossgen2's cross-module code): a fresh MSBuild node would otherwise JIT-compile it at its first
/// routed step.
/// </summary>
public sealed class TaskPackageImageTests
{
    private const uint UnrelatedR2RCode = 0x80;

    [Theory]
    [InlineData("Sandlock.Build.dll")]
    [InlineData("Sandlock.Core.dll")]
    public async Task The_task_assemblies_hold_the_frameworks_generic_code_over_their_types(string name)
    {
        var package = await LocalPackage.GetAsync();
        var nupkg = Directory.GetFiles(package.Feed, $"Sandlock.Build.{package.Version}.nupkg").Single();
        using var archive = ZipFile.OpenRead(nupkg);
        var entry = archive.GetEntry($"tasks/net10.0/{name}") ?? throw new InvalidOperationException($"{nupkg} holds no tasks/net10.0/{name}");
        using var image = new MemoryStream();
        await using (var stream = entry.Open()) await stream.CopyToAsync(image);
        image.Position = 0;
        using var reader = new PEReader(image);
        Assert.True(reader.PEHeaders.CorHeader is { ManagedNativeHeaderDirectory.Size: > 0 }, $"{name} in the package is IL only");
        var header = reader.GetSectionData(reader.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.RelativeVirtualAddress).GetReader();
        header.ReadUInt32(); // signature
        header.ReadUInt32(); // major and minor version
        Assert.True((header.ReadUInt32() & UnrelatedR2RCode) != 0, $"{name} in the package leaves the framework's generics over its types to the JIT");
    }
}
