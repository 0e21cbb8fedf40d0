using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Configuration;

namespace Orchestrator.Actors.Client;

/// <summary>
/// Loads certificates from files, for TLS on Akka.Remote (<see cref="RemoteTls"/>) and on the HTTP
/// door alike. Every refusal is a <see cref="ConfigurationException"/> naming the setting and the
/// file; a password is never quoted.
/// </summary>
public static class CertificateFiles
{
    /// <summary>
    /// A certificate with its private key: a PKCS#12 file (.pfx, .p12), or a PEM certificate with its
    /// PEM key in <paramref name="keyPath"/> (encrypted when <paramref name="password"/> is given).
    /// </summary>
    /// <param name="path">The certificate file.</param>
    /// <param name="keyPath">The PEM key of a PEM certificate; null or empty for PKCS#12.</param>
    /// <param name="password">The PKCS#12 file's or the encrypted key's password; null for none.</param>
    /// <param name="certificateSetting">The setting that named <paramref name="path"/>, for messages.</param>
    /// <param name="keySetting">The setting that named <paramref name="keyPath"/>, for messages.</param>
    /// <exception cref="ConfigurationException">A file is missing, unreadable or holds no private key.</exception>
    public static X509Certificate2 LoadWithKey(string path, string? keyPath, string? password, string certificateSetting, string keySetting)
    {
        var full = Existing(path, certificateSetting);
        try
        {
            X509Certificate2 certificate;
            if (!string.IsNullOrWhiteSpace(keyPath))
            {
                var fullKey = Existing(keyPath, keySetting);
                using var pem = string.IsNullOrEmpty(password)
                    ? X509Certificate2.CreateFromPemFile(full, fullKey)
                    : X509Certificate2.CreateFromEncryptedPemFile(full, password, fullKey);
                // SslStream needs the private key in a form it can use on every platform (a PEM key is ephemeral).
                certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
            else
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(full, password);
            }
            if (!certificate.HasPrivateKey)
                throw new ConfigurationException($"{certificateSetting} = '{path}' has no private key: give a PKCS#12 file with one, or a PEM certificate with {keySetting}");
            return certificate;
        }
        catch (CryptographicException ex)
        {
            // The message of a wrong password names no secret; the password itself is never quoted.
            throw new ConfigurationException($"{certificateSetting} = '{path}' cannot be loaded: {ex.Message}", ex);
        }
    }

    /// <summary>The certificates of a PEM file (one or more <c>BEGIN CERTIFICATE</c> blocks), such as a CA's.</summary>
    /// <exception cref="ConfigurationException">The file is missing, unreadable or holds no certificate.</exception>
    public static X509Certificate2Collection LoadPem(string path, string setting)
    {
        var full = Existing(path, setting);
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(full);
        }
        catch (CryptographicException ex)
        {
            throw new ConfigurationException($"{setting} = '{path}' cannot be read as PEM certificates: {ex.Message}", ex);
        }
        if (certificates.Count == 0)
            throw new ConfigurationException($"{setting} = '{path}' holds no certificate: expected one or more PEM blocks (-----BEGIN CERTIFICATE-----)");
        return certificates;
    }

    private static string Existing(string path, string setting)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
            throw new ConfigurationException($"{setting} = '{path}': no such file ({full})");
        return full;
    }
}
