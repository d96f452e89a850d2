using Microsoft.Win32.SafeHandles;

namespace Sandlock.Confinement.Landlock;

/// <summary>A ruleset fd held for one spawn; a cached ruleset stays open for the next one.</summary>
internal sealed class RulesetLease : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly bool _owned;
    private bool _released;

    internal RulesetLease(SafeFileHandle handle, bool owned)
    {
        _handle = handle;
        _owned = owned;
        var added = false;
        // Keeps a cached fd open even if the cache replaces it while this spawn still uses it.
        _handle.DangerousAddRef(ref added);
        Fd = (int)_handle.DangerousGetHandle();
    }

    public int Fd { get; }

    public void Dispose()
    {
        if (_released) return;
        _released = true;
        _handle.DangerousRelease();
        if (_owned) _handle.Dispose();
    }
}
