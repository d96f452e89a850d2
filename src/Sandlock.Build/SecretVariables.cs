namespace Sandlock.Build;

/// <summary>
/// Decides which inherited environment variables look like secrets and are kept from a sandboxed build step.
/// A variable given explicitly (Exec's EnvironmentVariables, a policy file's env) is always passed.
/// </summary>
public static class SecretVariables
{
    /// <summary>A name containing one of these (case-insensitive) is a secret.</summary>
    public static IReadOnlyList<string> NameFragments { get; } =
    [
        "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "APIKEY", "API_KEY", "ACCESS_KEY",
        "PRIVATE_KEY", "CONNECTIONSTRING", "CONNECTION_STRING", "AUTH_",
    ];

    /// <summary>A name ending with one of these (case-insensitive) is a secret.</summary>
    public static IReadOnlyList<string> NameSuffixes { get; } = ["_KEY", "_AUTH", "_PAT"];

    /// <summary>Names that hold or lead to credentials without saying so.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "SSH_AUTH_SOCK", "GPG_AGENT_INFO", "VSS_NUGET_EXTERNAL_FEED_ENDPOINTS", "NUGET_PLUGIN_PATHS", "DATABASE_URL",
        "KUBECONFIG", "DOCKER_CONFIG", "NETRC",
    ];

    public static bool IsSecret(string name)
    {
        var upper = name.ToUpperInvariant();
        foreach (var fragment in NameFragments)
            if (upper.Contains(fragment, StringComparison.Ordinal)) return true;
        foreach (var suffix in NameSuffixes)
            if (upper.EndsWith(suffix, StringComparison.Ordinal)) return true;
        return Names.Contains(upper);
    }
}
