namespace Sandlock.Supervision.Http;

/// <summary>
/// How the sandbox comes to trust the interception CA without the host changing: the CA bundles its programs open
/// are served with the CA appended, and the variables clients read point at one of them.
/// </summary>
internal static class TrustBundle
{
    /// <summary>Where distributions keep the bundle (Debian/Ubuntu first: the path the variables name).</summary>
    public static readonly string[] Paths =
    [
        "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/ca-bundle.pem",
        "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "/etc/ssl/cert.pem", "/etc/pki/tls/cacert.pem",
    ];

    /// <summary>OpenSSL (.NET, Python's ssl, curl), Python requests, curl and Node read these.</summary>
    public static IEnumerable<KeyValuePair<string, string>> Environment(SandboxPolicy policy)
    {
        if (!Policy.HttpSettings.Applies(policy)) yield break;
        foreach (var name in new[] { "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS" })
            yield return new(name, Paths[0]);
    }

    /// <summary>The host's bundle (the first that exists) with the CA appended; only the CA when the host has none.</summary>
    public static byte[] Content(string caPem)
    {
        var host = Paths.FirstOrDefault(File.Exists) is { } path ? File.ReadAllText(path) : "";
        if (host.Length > 0 && !host.EndsWith('\n')) host += "\n";
        return System.Text.Encoding.ASCII.GetBytes(host + "# sandlock: the sandbox's HTTPS interception CA\n" + caPem);
    }
}
