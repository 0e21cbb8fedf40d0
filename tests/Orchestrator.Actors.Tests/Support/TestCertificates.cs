using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Orchestrator.Actors.Tests.Support;

/// <summary>
/// Certificates made for a spec, as PEM files in a folder of their own: a CA, certificates it
/// signs, self-signed ones, expired ones. ECDSA P-256 keys, which are quick to make.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly Dictionary<string, (X509Certificate2 Certificate, ECDsa Key)> _authorities = [];

    public string Folder { get; } = Directory.CreateTempSubdirectory("orchestrator-certs-").FullName;

    /// <summary>A CA named <paramref name="name"/>; its certificate in NAME.crt. Returns that path.</summary>
    public string Authority(string name)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        _authorities[name] = (certificate, key);
        return Write(name, certificate, null).Certificate;
    }

    /// <summary>
    /// A certificate for <paramref name="name"/> signed by the CA <paramref name="authority"/> (or by
    /// itself when null), valid from <paramref name="from"/> to <paramref name="to"/> (a year around now
    /// by default); NAME.crt and NAME.key.
    /// </summary>
    public (string Certificate, string Key) Issue(string name, string? authority, DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false)); // server and client authentication
        var sans = new SubjectAlternativeNameBuilder();
        sans.AddDnsName("localhost");
        sans.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(sans.Build());
        var notBefore = from ?? DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = to ?? DateTimeOffset.UtcNow.AddYears(1);
        X509Certificate2 certificate;
        if (authority is null)
        {
            certificate = request.CreateSelfSigned(notBefore, notAfter);
        }
        else
        {
            var (ca, caKey) = _authorities[authority];
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
            using var signed = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), notBefore, notAfter,
                RandomNumberGenerator.GetBytes(16));
            certificate = signed.CopyWithPrivateKey(key);
        }
        return Write(name, certificate, key);
    }

    /// <summary>The certificate of <paramref name="name"/> with its key as one PKCS#12 file NAME.pfx, protected by <paramref name="password"/>.</summary>
    public string Pkcs12(string name, string password)
    {
        using var certificate = X509Certificate2.CreateFromPemFile(Path.Combine(Folder, name + ".crt"), Path.Combine(Folder, name + ".key"));
        var path = Path.Combine(Folder, name + ".pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    private (string Certificate, string Key) Write(string name, X509Certificate2 certificate, ECDsa? key)
    {
        var certificatePath = Path.Combine(Folder, name + ".crt");
        var keyPath = Path.Combine(Folder, name + ".key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        if (key is not null) File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }

    public void Dispose()
    {
        foreach (var (certificate, key) in _authorities.Values)
        {
            certificate.Dispose();
            key.Dispose();
        }
        Directory.Delete(Folder, recursive: true);
    }
}
