package io.wstunnel.cli.net;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * {@code -tls-client-cert FILE -tls-client-key FILE}: the certificate (chain) the agent presents to
 * the server for mutual TLS. PEM files: the certificate first, intermediates after it; the key as
 * unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY}; RSA, EC or Ed25519) or PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}). Other key formats are refused with the openssl command that
 * converts them.
 */
public final class ClientCertificate {
    private static final String ALIAS = "wstunnel-agent";

    private ClientCertificate() {
    }

    /**
     * Key managers presenting this certificate whatever CA names the server lists in its request
     * (the server, not the agent, decides whether it is acceptable).
     *
     * @throws IllegalArgumentException with a readable reason: unreadable file, no certificate,
     *                                  unsupported key, key not matching the certificate
     */
    public static KeyManager[] keyManagers(Path certFile, Path keyFile) {
        try {
            List<X509Certificate> chain = readChain(certFile);
            PrivateKey key = readKey(keyFile);
            requireMatch(key, chain.get(0).getPublicKey(), certFile, keyFile);
            char[] pass = Long.toHexString(new SecureRandom().nextLong()).toCharArray();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry(ALIAS, key, pass, chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pass);
            for (KeyManager km : kmf.getKeyManagers()) {
                if (km instanceof X509KeyManager x) {
                    return new KeyManager[] {new AnyIssuer(x)};
                }
            }
            throw new GeneralSecurityException("no X509KeyManager");
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("-tls-client-cert " + certFile + " / -tls-client-key " + keyFile + ": "
                    + e.getMessage(), e);
        }
    }

    /** The subject of the first certificate in {@code certFile}, for logs. */
    public static String subject(Path certFile) {
        try {
            return readChain(certFile).get(0).getSubjectX500Principal().getName();
        } catch (IOException | GeneralSecurityException e) {
            return "?";
        }
    }

    static List<X509Certificate> readChain(Path certFile) throws IOException, GeneralSecurityException {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        List<X509Certificate> chain = new ArrayList<>();
        byte[] bytes = Files.readAllBytes(certFile);
        for (Certificate c : cf.generateCertificates(new ByteArrayInputStream(bytes))) {
            chain.add((X509Certificate) c);
        }
        if (chain.isEmpty()) {
            throw new GeneralSecurityException("no certificate in " + certFile);
        }
        return chain;
    }

    static PrivateKey readKey(Path keyFile) throws IOException, GeneralSecurityException {
        String pem = Files.readString(keyFile, StandardCharsets.US_ASCII);
        if (pem.contains("-----BEGIN PRIVATE KEY-----")) {
            return pkcs8(block(pem, "PRIVATE KEY"));
        }
        if (pem.contains("-----BEGIN RSA PRIVATE KEY-----")) {
            return pkcs8(wrapPkcs1(block(pem, "RSA PRIVATE KEY")));
        }
        String hint = "; convert it with: openssl pkcs8 -topk8 -nocrypt -in " + keyFile + " -out agent-key.pem";
        if (pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
            throw new GeneralSecurityException("encrypted keys are not supported" + hint);
        }
        if (pem.contains("-----BEGIN EC PRIVATE KEY-----")) {
            throw new GeneralSecurityException("SEC1 EC keys are not supported, use PKCS#8" + hint);
        }
        throw new GeneralSecurityException("no PEM private key (BEGIN PRIVATE KEY) in " + keyFile);
    }

    private static byte[] block(String pem, String type) throws GeneralSecurityException {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end, b);
        if (b < 0 || e < 0) {
            throw new GeneralSecurityException("unterminated PEM block " + type);
        }
        try {
            return Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
        } catch (IllegalArgumentException x) {
            throw new GeneralSecurityException("bad base64 in PEM block " + type);
        }
    }

    private static PrivateKey pkcs8(byte[] der) throws GeneralSecurityException {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        GeneralSecurityException last = null;
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (GeneralSecurityException e) {
                last = e;
            }
        }
        throw new GeneralSecurityException("unsupported private key (RSA, EC or Ed25519 PKCS#8 expected)", last);
    }

    /** PKCS#1 RSAPrivateKey → PKCS#8 PrivateKeyInfo { 0, rsaEncryption, OCTET STRING pkcs1 }. */
    private static byte[] wrapPkcs1(byte[] pkcs1) {
        byte[] version = {0x02, 0x01, 0x00};
        byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
        byte[] octets = tlv(0x04, pkcs1);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(version);
        body.writeBytes(algorithm);
        body.writeBytes(octets);
        return tlv(0x30, body.toByteArray());
    }

    private static byte[] tlv(int tag, byte[] value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = value.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else if (n < 0x10000) {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x83);
            out.write(n >> 16);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(value);
        return out.toByteArray();
    }

    /** Signs and verifies a probe, so a key that does not belong to the certificate fails at start, not at handshake. */
    private static void requireMatch(PrivateKey key, PublicKey pub, Path certFile, Path keyFile) throws GeneralSecurityException {
        String alg = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            case "Ed448" -> "Ed448";
            default -> null;
        };
        if (alg == null) {
            return;
        }
        if (!pub.getAlgorithm().equals(key.getAlgorithm())
                && !(pub.getAlgorithm().startsWith("Ed") && key.getAlgorithm().startsWith("Ed"))) {
            throw new GeneralSecurityException("the key in " + keyFile + " (" + key.getAlgorithm()
                    + ") does not belong to the certificate in " + certFile + " (" + pub.getAlgorithm() + ")");
        }
        byte[] probe = "wstunnel".getBytes(StandardCharsets.US_ASCII);
        Signature s = Signature.getInstance(alg);
        s.initSign(key);
        s.update(probe);
        byte[] sig = s.sign();
        Signature v = Signature.getInstance(alg);
        v.initVerify(pub);
        v.update(probe);
        if (!v.verify(sig)) {
            throw new GeneralSecurityException("the key in " + keyFile + " does not belong to the certificate in " + certFile);
        }
    }

    /** Offers the configured certificate even when the server's list of acceptable CAs does not name its issuer. */
    private static final class AnyIssuer extends X509ExtendedKeyManager {
        private final X509KeyManager delegate;

        AnyIssuer(X509KeyManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseClientAlias(keyType, null, socket);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            if (delegate instanceof X509ExtendedKeyManager x) {
                return x.chooseEngineClientAlias(keyType, null, engine);
            }
            return delegate.chooseClientAlias(keyType, null, null);
        }

        @Override public String[] getClientAliases(String keyType, Principal[] issuers) { return delegate.getClientAliases(keyType, null); }
        @Override public String[] getServerAliases(String keyType, Principal[] issuers) { return null; }
        @Override public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) { return null; }
        @Override public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) { return null; }
        @Override public X509Certificate[] getCertificateChain(String alias) { return delegate.getCertificateChain(alias); }
        @Override public PrivateKey getPrivateKey(String alias) { return delegate.getPrivateKey(alias); }
    }
}
