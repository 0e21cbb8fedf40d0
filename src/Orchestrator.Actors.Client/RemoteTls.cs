using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;

namespace Orchestrator.Actors.Client;

/// <summary>
/// Where the files of TLS on Akka.Remote are: a node's (<c>orchestrator.remote.tls</c>) or a
/// client's (<c>--tls-*</c> options, <c>ORCHESTRATOR_TLS_*</c> variables, or code).
/// </summary>
/// <param name="Certificate">This end's certificate with its private key: PKCS#12 (.pfx, .p12), or PEM with <paramref name="Key"/>.</param>
/// <param name="Key">The PEM private key of a PEM certificate; null for PKCS#12.</param>
/// <param name="Trust">
/// A PEM file of the certificates that sign the peers' certificates (the cluster's own CA); null:
/// the certificate itself, for one self-signed certificate shared by every node and client.
/// </param>
/// <param name="Password">The PKCS#12 file's or the encrypted PEM key's password; null for none.</param>
public sealed record RemoteTlsFiles(string Certificate, string? Key = null, string? Trust = null, string? Password = null)
{
    /// <summary>The section of a node's configuration.</summary>
    public const string Section = "orchestrator.remote.tls";

    /// <summary>The environment variables a client reads (the CLI, <c>orchestrator mcp</c>) when no option names the file.</summary>
    public const string CertificateVariable = "ORCHESTRATOR_TLS_CERTIFICATE", KeyVariable = "ORCHESTRATOR_TLS_KEY",
        TrustVariable = "ORCHESTRATOR_TLS_TRUST", PasswordVariable = "ORCHESTRATOR_TLS_PASSWORD";

    /// <summary><c>orchestrator.remote.tls</c> of a node's configuration (the password may come from <see cref="PasswordVariable"/>); null when it names no certificate.</summary>
    public static RemoteTlsFiles? FromConfig(Config config)
    {
        string? Get(string key) => config.HasPath($"{Section}.{key}") && config.GetString($"{Section}.{key}") is { Length: > 0 } value ? value : null;
        return Get("certificate") is { } certificate
            ? new RemoteTlsFiles(certificate, Get("key"), Get("trust"), Environment.GetEnvironmentVariable(PasswordVariable) ?? Get("password"))
            : null;
    }

    /// <summary>
    /// A client's files: each option given, else its <c>ORCHESTRATOR_TLS_*</c> variable; null when
    /// neither names a certificate. The password comes from <see cref="PasswordVariable"/> only, never
    /// from a command line that other users of the machine can read.
    /// </summary>
    public static RemoteTlsFiles? ForClient(string? certificate, string? key, string? trust)
    {
        certificate ??= Variable(CertificateVariable);
        return certificate is null
            ? null
            : new RemoteTlsFiles(certificate, key ?? Variable(KeyVariable), trust ?? Variable(TrustVariable), Variable(PasswordVariable));
    }

    /// <summary>Loads the files; the messages name each setting through <paramref name="settingName"/> (certificate, key, trust).</summary>
    /// <exception cref="ConfigurationException">A file is missing or unusable, or the trust is missing for a certificate a CA signed.</exception>
    public RemoteTls Load(Func<string, string>? settingName = null)
    {
        settingName ??= key => $"{Section}.{key}";
        var certificate = CertificateFiles.LoadWithKey(Certificate, Key, Password, settingName("certificate"), settingName("key"));
        X509Certificate2Collection trusted;
        if (Trust is not null)
        {
            trusted = CertificateFiles.LoadPem(Trust, settingName("trust"));
        }
        else
        {
            if (certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData) is false)
                throw new ConfigurationException($"{settingName("trust")} is not set and {settingName("certificate")} = '{Certificate}' is signed by '{certificate.Issuer}', " +
                                                 "not by itself: set it to the PEM file of that CA, whose signature every peer's certificate must carry");
            trusted = [X509CertificateLoader.LoadCertificate(certificate.RawData)];
        }
        return new RemoteTls(certificate, trusted);
    }

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}

/// <summary>
/// TLS on Akka.Remote, mutual: this end shows <see cref="Certificate"/>, and accepts a peer (a node,
/// a member, a client) only when the peer shows a certificate, valid now, whose chain ends at one of
/// <see cref="Trusted"/> (the cluster's own CA, not the machine's store). Host names are not checked:
/// peers are often reached by address, and the CA's signature is what admits them.
/// </summary>
public sealed class RemoteTls
{
    /// <summary>The HOCON that turns TLS on in DotNetty; the certificate and checks come from <see cref="Setup"/>.</summary>
    public const string Hocon = "akka.remote.dot-netty.tcp.enable-ssl = on";

    /// <summary>This end's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The certificates a peer's chain must end at.</summary>
    public X509Certificate2Collection Trusted { get; }

    /// <summary>TLS with <paramref name="certificate"/>, admitting peers whose chain ends at one of <paramref name="trusted"/>.</summary>
    public RemoteTls(X509Certificate2 certificate, X509Certificate2Collection trusted)
    {
        Certificate = certificate;
        Trusted = trusted;
    }

    /// <summary>The setup to give the ActorSystem (with <see cref="Hocon"/> in its configuration).</summary>
    public DotNettySslSetup Setup =>
        new(Certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false, customValidator: Validate);

    /// <summary>The ActorSystem's setup: <paramref name="config"/> with TLS on, and <see cref="Setup"/>.</summary>
    public ActorSystemSetup SystemSetup(Config config) =>
        BootstrapSetup.Create().WithConfig(ConfigurationFactory.ParseString(Hocon).WithFallback(config)).And(Setup);

    /// <summary>Null when <paramref name="certificate"/> is admitted; otherwise why not.</summary>
    public string? Refusal(X509Certificate2? certificate)
    {
        if (certificate is null) return "it showed no certificate";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(Trusted);
        // A private CA publishes no revocation list; to revoke a peer, issue the others' from a new CA.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate)) return null;
        var problems = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
        return $"its certificate '{certificate.Subject}' (issued by '{certificate.Issuer}') is not signed by a trusted certificate or not valid now: {string.Join("; ", problems)}";
    }

    private bool Validate(X509Certificate2? certificate, X509Chain? chain, string peer, SslPolicyErrors errors, ILoggingAdapter log)
    {
        var refusal = Refusal(certificate);
        if (refusal is not null)
            log.Warning("TLS: refused the connection of {0}: {1}", peer, refusal);
        return refusal is null;
    }
}
