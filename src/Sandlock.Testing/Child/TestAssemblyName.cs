using System.Reflection;

namespace Sandlock.Testing.Child;

/// <summary>
/// The test assembly's name as the child loads it: its file name. The child runs with the test project's deps.json,
/// which lists the assembly, so the runtime finds it by that simple name, as xunit's own test case deserialization
/// does. Not <see cref="AssemblyName.GetAssemblyName"/>, which reads the file's metadata with
/// System.Reflection.Metadata: about 12 ms of CPU in every child.
/// </summary>
internal static class TestAssemblyName
{
    // The property, not the constructor: a file name is not parsed as a display name ("A, B" stays one name).
    public static AssemblyName Of(string assemblyPath) => new() { Name = Path.GetFileNameWithoutExtension(assemblyPath) };
}
