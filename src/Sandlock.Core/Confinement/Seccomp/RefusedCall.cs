namespace Sandlock.Confinement.Seccomp;

/// <summary>
/// Calls the filter itself fails with <see cref="Errno"/> when their arguments match <see cref="When"/>, before any
/// hold: where no supervisor can decide, or where no answer but a refusal is right.
/// </summary>
internal sealed record RefusedCall(string Name, ArgumentMatch When, int Errno)
{
    public override string ToString() => $"{Name} when {When}: errno {Errno}";
}
