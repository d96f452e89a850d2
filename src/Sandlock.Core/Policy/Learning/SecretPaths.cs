namespace Sandlock.Policy.Learning;

/// <summary>
/// Paths that look like credentials, which a learned policy never grants (the run that read one is told so): a
/// component of the path names a key or token store, or the file name looks like a key. Certificates are the one
/// exception (<c>*.pem</c> in the public trust stores, and the CA bundles by name): a TLS client reads them, and they
/// hold nothing secret.
/// </summary>
internal static class SecretPaths
{
    /// <summary>Folders that hold keys or tokens, matched as any component of the path.</summary>
    public static IReadOnlyList<string> Folders { get; } =
        [".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker", ".password-store", ".pki", ".terraform.d"];

    /// <summary>Folders that hold keys or tokens, matched as consecutive components anywhere in the path.</summary>
    public static IReadOnlyList<string> NestedFolders { get; } = [".local/share/keyrings", ".config/gcloud", ".config/gh", ".config/hub"];

    /// <summary>Files that hold credentials, matched as the last component.</summary>
    public static IReadOnlyList<string> Files { get; } =
        [".netrc", ".npmrc", ".pypirc", ".git-credentials", ".pgpass", ".my.cnf", ".env", "credentials", "credentials.json",
            "secrets.json", "master.key", ".vault-token"];

    /// <summary>Name patterns of key files: <c>id_*</c> (SSH keys), <c>.env.*</c>, and these extensions.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".kdbx"];

    /// <summary>Public certificate stores, where <c>*.pem</c> files are certificates.</summary>
    public static IReadOnlyList<string> TrustStores { get; } =
        ["/etc/ssl/certs", "/usr/share/ca-certificates", "/etc/ca-certificates", "/etc/pki/ca-trust", "/etc/pki/tls/certs",
            "/usr/local/share/ca-certificates", "/usr/lib/ssl/certs"];

    /// <summary>Public CA bundles that carry a key-file extension.</summary>
    public static IReadOnlyList<string> CertificateBundles { get; } = ["cacert.pem", "ca-bundle.pem", "ca-certificates.pem", "tls-ca-bundle.pem"];

    /// <summary>Why <paramref name="path"/> (absolute) looks secret, or null when it does not.</summary>
    public static string? Why(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        foreach (var system in FrontDoorDefaults.SecretPaths)
            if (PathTree.IsSameOrUnder(path, system)) return $"system credentials ({system})";
        if (PathTree.IsSameOrUnder(path, "/etc/ssl/private")) return "private keys (/etc/ssl/private)";
        var components = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var folder in components.SkipLast(1))
            if (Folders.Contains(folder, StringComparer.Ordinal)) return $"inside a credentials folder ({folder})";
        var joined = "/" + string.Join('/', components);
        foreach (var nested in NestedFolders)
            if (joined.EndsWith("/" + nested, StringComparison.Ordinal) || joined.Contains("/" + nested + "/", StringComparison.Ordinal))
                return $"a credentials folder ({nested})";
        if (components.Length == 0) return null;
        var name = components[^1];
        if (Folders.Contains(name, StringComparer.Ordinal)) return $"a credentials folder ({name})";
        if (Files.Contains(name, StringComparer.Ordinal)) return $"a credentials file ({name})";
        if (name.StartsWith(".env.", StringComparison.Ordinal)) return "an environment file with secrets (.env.*)";
        if (name.StartsWith("id_", StringComparison.Ordinal)) return "an SSH key (id_*)";
        var extension = Path.GetExtension(name);
        if (Extensions.Contains(extension, StringComparer.OrdinalIgnoreCase)
            && !(extension.Equals(".pem", StringComparison.OrdinalIgnoreCase)
                 && (CertificateBundles.Contains(name, StringComparer.Ordinal) || TrustStores.Any(store => PathTree.IsSameOrUnder(path, store)))))
            return $"a key file (*{extension.ToLowerInvariant()})";
        return null;
    }

    public static bool IsSecret(string path) => Why(path) is not null;
}
