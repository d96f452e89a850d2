using System.Runtime.InteropServices;
using Sandlock.Interop;
using Sandlock.Supervision;

namespace Sandlock.Tests.Supervision;

/// <summary>
/// Naming the function at an address of a live process (the time(NULL) check of clock-seeded generators), by the
/// kernel's answer for one mapping (PROCMAP_QUERY) and by the whole maps file.
/// </summary>
public sealed class LibraryFunctionsTests
{
    private static ulong Export(string library, string name) => (ulong)NativeLibrary.GetExport(NativeLibrary.Load(library), name);

    [Fact]
    public void The_kernel_names_the_same_mapping_for_an_address_as_the_maps_file()
    {
        var mappings = MemoryMapping.Read(Environment.ProcessId).ToList();
        var maps = Libc.Open("/proc/self/maps", Libc.O_RDONLY | Libc.O_CLOEXEC);
        Assert.True(maps >= 0);
        try
        {
            foreach (var address in new[] { Export("libc.so.6", "srand48"), Export("libc.so.6", "getpid"), Export(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "libSystem.Native.so"), "SystemNative_GetPid") })
            {
                var expected = mappings.Single(m => m.Contains(address));
                var queried = MappingQuery.FileMappingAt(maps, address);
                if (!MappingQuery.Supported)
                {
                    Assert.True(Environment.OSVersion.Version < new Version(6, 11), "PROCMAP_QUERY refused on Linux 6.11 or later");
                    return;
                }
                Assert.Equal((expected.Start, expected.End, expected.FileOffset, expected.Inode, expected.Path), queried);
            }
            // Anonymous memory: nothing file-backed covers it.
            var anonymous = Marshal.AllocHGlobal(64 * 1024);
            try { Assert.Null(MappingQuery.FileMappingAt(maps, (ulong)anonymous)); }
            finally { Marshal.FreeHGlobal(anonymous); }
        }
        finally { Libc.Close(maps); }
    }

    [Fact]
    public void A_function_is_named_at_its_address_and_nowhere_else()
    {
        var srand48 = Export("libc.so.6", "srand48");
        var getpid = Export("libc.so.6", "getpid");
        var functions = new LibraryFunctions();

        Assert.True(functions.Of(Environment.ProcessId).IsOneOf(srand48, slot: false, ["srand", "srand48"]));
        Assert.True(functions.Of(Environment.ProcessId).IsInside(srand48 + 1, "srand48"));
        Assert.False(functions.Of(Environment.ProcessId).IsOneOf(getpid, slot: false, ["srand", "srand48"]));
        Assert.False(functions.Of(Environment.ProcessId).IsInside(getpid, "srand48"));
        var anonymous = Marshal.AllocHGlobal(64);
        try { Assert.False(functions.Of(Environment.ProcessId).IsOneOf((ulong)anonymous, slot: false, ["srand48"])); }
        finally { Marshal.FreeHGlobal(anonymous); }
    }
}
