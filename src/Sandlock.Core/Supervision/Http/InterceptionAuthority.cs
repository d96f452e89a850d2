using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sandlock.Supervision.Http;

/// <summary>
/// The CA the proxy signs its certificates with: the policy's (<c>http_ca</c>, <c>http_key</c>) or one made for the
/// sandbox, whose key never leaves this process. Leaf certificates are made per server name, once.
/// </summary>
internal sealed class InterceptionAuthority : IDisposable
{
    private readonly X509Certificate2 _ca;
    private readonly X509SignatureGenerator _signer;
    private readonly IDisposable _key;
    private readonly DateTimeOffset _notBefore, _notAfter;
    private readonly ConcurrentDictionary<string, Lazy<SslStreamCertificateContext>> _leaves = new(StringComparer.OrdinalIgnoreCase);

    private InterceptionAuthority(X509Certificate2 ca, DateTimeOffset? sandboxTime)
    {
        _ca = ca;
        if (ca.GetECDsaPrivateKey() is { } ec) { _key = ec; _signer = X509SignatureGenerator.CreateForECDsa(ec); }
        else if (ca.GetRSAPrivateKey() is { } rsa) { _key = rsa; _signer = X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1); }
        else throw new SandboxSetupException(SetupFailure.Sandbox, "http_key: expected an RSA or ECDSA private key for the CA certificate of http_ca");
        // A sandbox with a virtual clock (time_start) checks certificates at its own time.
        var now = DateTimeOffset.UtcNow;
        var earliest = sandboxTime is { } t && t < now ? t : now;
        var latest = sandboxTime is { } u && u > now ? u : now;
        _notBefore = Max(earliest.AddDays(-1), ca.NotBefore.ToUniversalTime());
        _notAfter = Min(latest.AddDays(365), ca.NotAfter.ToUniversalTime());
        Pem = ca.ExportCertificatePem() + "\n";
    }

    /// <summary>The CA certificate in PEM, as appended to the trust bundle the sandbox sees.</summary>
    public string Pem { get; }

    public static InterceptionAuthority Load(string certificatePath, string keyPath, DateTimeOffset? sandboxTime)
    {
        X509Certificate2 ca;
        try { ca = X509Certificate2.CreateFromPemFile(certificatePath, keyPath); }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new SandboxSetupException(SetupFailure.Sandbox,
                $"http_ca {certificatePath} / http_key {keyPath}: cannot load the CA certificate and its key ({e.Message}): expected PEM files, the key matching the certificate");
        }
        if (ca.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            ca.Dispose();
            throw new SandboxSetupException(SetupFailure.Sandbox, $"http_ca {certificatePath}: not a CA certificate (basicConstraints CA:TRUE is missing)");
        }
        return new InterceptionAuthority(ca, sandboxTime);
    }

    public static InterceptionAuthority Ephemeral(string sandboxName, DateTimeOffset? sandboxTime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=sandlock interception CA ({sandboxName})", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        var from = (sandboxTime is { } t && t < now ? t : now).AddDays(-2);
        var to = (sandboxTime is { } u && u > now ? u : now).AddDays(400);
        return new InterceptionAuthority(request.CreateSelfSigned(from, to), sandboxTime);
    }

    /// <summary>The certificate (with the CA behind it) for a server name or, when the client sent none, the address it connected to.</summary>
    public SslStreamCertificateContext LeafFor(string name) =>
        _leaves.GetOrAdd(name, n => new Lazy<SslStreamCertificateContext>(() => MakeLeaf(n))).Value;

    private SslStreamCertificateContext MakeLeaf(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={(name.Length <= 64 ? name : name[..64])}"), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(name, out var address)) names.AddIpAddress(address); else names.AddDnsName(name);
        request.CertificateExtensions.Add(names.Build(true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var unkeyed = request.Create(_ca.SubjectName, _signer, _notBefore, _notAfter, serial);
        var leaf = unkeyed.CopyWithPrivateKey(key);
        return SslStreamCertificateContext.Create(leaf, null, offline: true);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    public void Dispose()
    {
        _key.Dispose();
        _ca.Dispose();
    }
}
