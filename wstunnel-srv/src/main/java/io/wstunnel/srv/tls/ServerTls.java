package io.wstunnel.srv.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.function.Consumer;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's TLS material: builds the {@link SSLContext} from PEM files or a PKCS#12 keystore,
 * re-reads them when their content changes, and checks agents' client certificates against
 * {@code -agent-ca}.
 *
 * <p>With {@code -agent-ca} the TLS layer <em>requests</em> a client certificate and accepts whatever
 * chain is offered (the client still proves it holds the key); the decision is taken on {@code /_tunnel}
 * by {@link AgentCertificates}, so a refused agent gets a 403 with a plain-text reason instead of a
 * bare TLS alert, and callers without certificates keep working.
 */
public final class ServerTls {
    private static final Logger log = LoggerFactory.getLogger(ServerTls.class);

    /** TLS 1.2 and 1.3 only. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private final TlsSettings settings;
    private volatile Loaded current;
    private byte[] failedFingerprint;

    /** What one reading of the files produced. */
    private record Loaded(byte[] fingerprint, SSLContext context, X509Certificate leaf, AgentCertificates agents) {
    }

    private ServerTls(TlsSettings settings, Loaded loaded) {
        this.settings = settings;
        this.current = loaded;
    }

    /**
     * Reads the files and builds the first context.
     *
     * @throws IllegalArgumentException with a one-line reason naming the file when anything is wrong
     */
    public static ServerTls load(TlsSettings settings) {
        if (!settings.enabled()) {
            throw new IllegalArgumentException("TLS is not configured");
        }
        ServerTls tls = new ServerTls(settings, read(settings));
        log.info("TLS: serving {} (valid until {}), {}, HTTP/2 via ALPN; agent client certificates: {}",
                tls.certificate().getSubjectX500Principal().getName(), tls.certificate().getNotAfter().toInstant(),
                String.join("/", PROTOCOLS), !settings.agentCertificates() ? "not required"
                        : "required (-agent-ca " + settings.agentCaFile() + (settings.agentCertBindsToken()
                        ? ", bound to the token)" : ")"));
        return tls;
    }

    public TlsSettings settings() {
        return settings;
    }

    public SSLContext sslContext() {
        return current.context();
    }

    /** The certificate currently served. */
    public X509Certificate certificate() {
        return current.leaf();
    }

    /** The client-certificate check for agents, or null when {@code -agent-ca} is not set. */
    public AgentCertificates agentCertificates() {
        return current.agents();
    }

    /**
     * Re-reads the files; when their content changed and is valid, installs the new context and hands
     * it to {@code install}. An invalid new content (say, the certificate replaced but not yet the key)
     * is logged once and the previous context stays in use.
     *
     * @return true when a new context was installed
     */
    public synchronized boolean reloadIfChanged(Consumer<SSLContext> install) {
        byte[] fp;
        try {
            fp = fingerprint(settings);
        } catch (IllegalArgumentException e) {
            log.warn("TLS files unreadable, keeping the current certificate: {}", e.getMessage());
            return false;
        }
        if (Arrays.equals(fp, current.fingerprint()) || Arrays.equals(fp, failedFingerprint)) {
            return false;
        }
        Loaded next;
        try {
            next = read(settings);
        } catch (IllegalArgumentException e) {
            failedFingerprint = fp;
            log.warn("TLS files changed but cannot be used, keeping the current certificate: {}", e.getMessage());
            return false;
        }
        current = next;
        failedFingerprint = null;
        install.accept(next.context());
        log.info("TLS certificate reloaded: {} (valid until {})", next.leaf().getSubjectX500Principal().getName(),
                next.leaf().getNotAfter().toInstant());
        return true;
    }

    private static List<Path> files(TlsSettings s) {
        List<Path> files = new ArrayList<>();
        for (String f : new String[] {s.certFile(), s.keyFile(), s.keystoreFile(), s.agentCaFile()}) {
            if (!f.isEmpty()) {
                files.add(Path.of(f));
            }
        }
        return files;
    }

    /** SHA-256 over the content of every file (robust against coarse mtimes and same-size rewrites). */
    private static byte[] fingerprint(TlsSettings s) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Path p : files(s)) {
                md.update(readBytes(p, optionName(s, p)));
                md.update((byte) 0);
            }
            return md.digest();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String optionName(TlsSettings s, Path p) {
        String f = p.toString();
        if (f.equals(s.certFile())) {
            return "-tls-cert";
        }
        if (f.equals(s.keyFile())) {
            return "-tls-key";
        }
        if (f.equals(s.keystoreFile())) {
            return "-tls-keystore";
        }
        return "-agent-ca";
    }

    private static byte[] readBytes(Path p, String option) {
        try {
            return Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(option + " " + p + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + p + ": cannot read: " + e.getMessage());
        }
    }

    private static Loaded read(TlsSettings s) {
        byte[] fp = fingerprint(s);
        PrivateKey key;
        List<X509Certificate> chain;
        if (!s.keystoreFile().isEmpty()) {
            KeyStore ks = loadKeystore(s);
            String alias = keyAlias(ks, s.keystoreFile());
            try {
                key = (PrivateKey) ks.getKey(alias, s.keystorePassword().toCharArray());
                chain = new ArrayList<>();
                for (Certificate c : ks.getCertificateChain(alias)) {
                    chain.add((X509Certificate) c);
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalArgumentException("-tls-keystore " + s.keystoreFile() + ": cannot read the key: "
                        + e.getMessage());
            }
        } else {
            chain = parse("-tls-cert", s.certFile(), Pem::certificates);
            key = parse("-tls-key", s.keyFile(), Pem::privateKey);
        }
        X509Certificate leaf = chain.get(0);
        if (!keyMatches(key, leaf)) {
            throw new IllegalArgumentException("the private key does not match the certificate "
                    + leaf.getSubjectX500Principal().getName());
        }
        AgentCertificates agents = null;
        if (s.agentCertificates()) {
            List<X509Certificate> cas = parse("-agent-ca", s.agentCaFile(), Pem::certificates);
            agents = new AgentCertificates(cas, s.agentCertBindsToken());
        }
        return new Loaded(fp, context(key, chain, agents), leaf, agents);
    }

    private static <T> T parse(String option, String file, java.util.function.Function<String, T> parser) {
        String text = new String(readBytes(Path.of(file), option), StandardCharsets.US_ASCII);
        try {
            return parser.apply(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + " " + file + ": " + e.getMessage());
        }
    }

    private static KeyStore loadKeystore(TlsSettings s) {
        byte[] bytes = readBytes(Path.of(s.keystoreFile()), "-tls-keystore");
        try {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(new ByteArrayInputStream(bytes), s.keystorePassword().toCharArray());
            return ks;
        } catch (IOException | GeneralSecurityException e) {
            String why = e.getCause() instanceof java.security.UnrecoverableKeyException
                    || String.valueOf(e.getMessage()).contains("password")
                    ? "wrong -tls-keystore-password or not a PKCS#12 file" : "not a PKCS#12 keystore: " + e.getMessage();
            throw new IllegalArgumentException("-tls-keystore " + s.keystoreFile() + ": " + why);
        }
    }

    private static String keyAlias(KeyStore ks, String file) {
        try {
            List<String> keys = new ArrayList<>();
            for (Enumeration<String> e = ks.aliases(); e.hasMoreElements(); ) {
                String a = e.nextElement();
                if (ks.isKeyEntry(a)) {
                    keys.add(a);
                }
            }
            if (keys.size() != 1) {
                throw new IllegalArgumentException("-tls-keystore " + file + ": expected exactly one private key entry, found "
                        + keys.size());
            }
            return keys.get(0);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("-tls-keystore " + file + ": " + e.getMessage());
        }
    }

    /** Signs a random challenge with the key and verifies it with the certificate's public key. */
    static boolean keyMatches(PrivateKey key, X509Certificate cert) {
        String alg;
        switch (key.getAlgorithm()) {
            case "RSA":
                alg = "SHA256withRSA";
                break;
            case "EC":
                alg = "SHA256withECDSA";
                break;
            case "Ed25519":
            case "Ed448":
            case "EdDSA":
                alg = key.getAlgorithm();
                break;
            default:
                return true; // nothing to compare with; the handshake will tell
        }
        try {
            byte[] challenge = new byte[32];
            new SecureRandom().nextBytes(challenge);
            Signature signer = Signature.getInstance(alg);
            signer.initSign(key);
            signer.update(challenge);
            byte[] sig = signer.sign();
            Signature verifier = Signature.getInstance(alg);
            verifier.initVerify(cert.getPublicKey());
            verifier.update(challenge);
            return verifier.verify(sig);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static SSLContext context(PrivateKey key, List<X509Certificate> chain, AgentCertificates agents) {
        try {
            char[] pw = new char[0];
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", key, pw, chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            TrustManager[] tms = agents == null ? null : new TrustManager[] {new RequestAnyClientCertificate(agents)};
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), tms, null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot build the TLS context: " + e.getMessage(), e);
        }
    }

    /**
     * Accepts any client chain at the TLS layer (the agent check happens on /_tunnel) and names the
     * agent CA in the CertificateRequest so clients pick a certificate it issued.
     */
    private static final class RequestAnyClientCertificate extends X509ExtendedTrustManager {
        private final X509Certificate[] issuers;

        RequestAnyClientCertificate(AgentCertificates agents) {
            this.issuers = agents.authorities().toArray(new X509Certificate[0]);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
            throw new java.security.cert.CertificateException("server-side trust manager");
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws java.security.cert.CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws java.security.cert.CertificateException {
            checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return issuers.clone();
        }
    }

    /** For log lines. */
    @Override
    public String toString() {
        return "ServerTls[" + settings + ", serving " + Collections.singletonList(
                current.leaf().getSubjectX500Principal().getName()) + "]";
    }
}
