namespace Sandlock.Confinement.Seccomp;

/// <summary>A syscall the filter routes to the supervisor: always, or only when <see cref="When"/> matches.</summary>
internal sealed record HeldSyscall(string Name, ArgumentMatch? When = null)
{
    public override string ToString() => When is null ? Name : $"{Name} when {When}";
}
