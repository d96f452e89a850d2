using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Sandlock.Tests.TestSupport;

/// <summary>
/// Reads a built assembly's type declarations without loading it (a task assembly's MSBuild base types, a test
/// framework's attribute interfaces need not resolve): the public properties a type declares and its base type's name.
/// </summary>
internal static class DeclaredTypes
{
    public static (IReadOnlySet<string> Properties, string BaseType) Of(string assemblyPath, string fullName)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        foreach (var handle in md.TypeDefinitions)
        {
            var type = md.GetTypeDefinition(handle);
            if ($"{md.GetString(type.Namespace)}.{md.GetString(type.Name)}" != fullName) continue;
            var properties = type.GetProperties().Select(p => md.GetPropertyDefinition(p))
                .Where(p => p.GetAccessors().Setter is { IsNil: false } setter
                    && (md.GetMethodDefinition(setter).Attributes & System.Reflection.MethodAttributes.MemberAccessMask) == System.Reflection.MethodAttributes.Public)
                .Select(p => md.GetString(p.Name)).ToHashSet(StringComparer.Ordinal);
            var baseType = type.BaseType.Kind switch
            {
                HandleKind.TypeReference => md.GetTypeReference((TypeReferenceHandle)type.BaseType) is var r ? $"{md.GetString(r.Namespace)}.{md.GetString(r.Name)}" : "",
                HandleKind.TypeDefinition => md.GetTypeDefinition((TypeDefinitionHandle)type.BaseType) is var d ? $"{md.GetString(d.Namespace)}.{md.GetString(d.Name)}" : "",
                _ => "",
            };
            return (properties, baseType);
        }
        throw new InvalidOperationException($"{fullName} is not declared in {assemblyPath}");
    }
}
