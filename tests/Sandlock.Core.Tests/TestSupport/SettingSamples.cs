using Sandlock.Policy.Settings;

namespace Sandlock.Tests.TestSupport;

internal static class SettingSamples
{
    /// <summary>A valid value of the kind, as a flag or a parameter gives it.</summary>
    public static string Of(ValueKind kind) => kind switch
    {
        _ when kind == ValueKinds.Path => "/usr",
        _ when kind == ValueKinds.Mount => "/data:/usr:ro",
        _ when kind == ValueKinds.NetSpec => ":443",
        _ when kind == ValueKinds.HttpRule => "GET example.com/*",
        _ when kind == ValueKinds.Credential => "registry.example.com=REGISTRY_TOKEN",
        _ when kind == ValueKinds.Syscall => "ptrace",
        _ when kind == ValueKinds.SyscallGroup => "sysv_ipc",
        _ when kind == ValueKinds.Protection => "landlock",
        _ when kind == ValueKinds.SandboxName => "box",
        _ when kind == ValueKinds.Assignment => "A=1",
        _ when kind == ValueKinds.Size => "64M",
        _ when kind == ValueKinds.Ports => "8080",
        _ when kind == ValueKinds.Time => "2000-01-01T00:00:00Z",
        _ when kind == ValueKinds.Int32 => "8",
        _ when kind == ValueKinds.Seed => "42",
        _ when kind == ValueKinds.Switch => "true",
        _ when kind == ValueKinds.Numbers => "0",
        _ when kind == ValueKinds.Action => "keep",
        _ => throw new ArgumentException($"no sample for {kind.Expected}"),
    };
}
