namespace Sandlock.Lifecycle.Registry;

/// <summary>The list of running sandboxes cannot be read, or an id or name does not pick one sandbox.</summary>
internal sealed class RegistryException(string message) : SandlockException(message);
