package io.wstunnel.cli.net;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;

/** SSLContexts for the tunnel and for local https targets: system trust, plus -certfile, or -insecure. */
public final class TlsContexts {
    private TlsContexts() {
    }

    /**
     * @param insecure trust every certificate (and, because the trust manager is an
     *                 {@link X509ExtendedTrustManager} that checks nothing, skip hostname checks in the JDK client)
     * @param certFile PEM file with one or more extra trusted certificates, or null
     */
    public static SSLContext create(boolean insecure, Path certFile) {
        return create(insecure, certFile, null);
    }

    /**
     * @param keyManagers the client certificate presented for mutual TLS
     *                    ({@link ClientCertificate#keyManagers}), or null for none
     */
    public static SSLContext create(boolean insecure, Path certFile, KeyManager[] keyManagers) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            TrustManager tm = insecure ? new TrustAll() : systemTrust(certFile);
            ctx.init(keyManagers, new TrustManager[] {tm}, new SecureRandom());
            return ctx;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("cannot set up TLS" + (certFile == null ? "" : " with " + certFile) + ": " + e.getMessage(), e);
        }
    }

    private static X509TrustManager systemTrust(Path certFile) throws GeneralSecurityException, IOException {
        TrustManagerFactory def = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        def.init((KeyStore) null);
        X509TrustManager system = x509(def);
        if (certFile == null) {
            return system;
        }
        // One key store with the system CAs plus the PEM certificates: standard PKIX validation and
        // hostname checks stay in force.
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (X509Certificate ca : system.getAcceptedIssuers()) {
            ks.setCertificateEntry("system-" + i++, ca);
        }
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        int n = 0;
        try (InputStream in = Files.newInputStream(certFile)) {
            for (Certificate c : cf.generateCertificates(in)) {
                ks.setCertificateEntry("certfile-" + n++, c);
            }
        }
        if (n == 0) {
            throw new GeneralSecurityException("no certificate in " + certFile);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        return x509(tmf);
    }

    private static X509TrustManager x509(TrustManagerFactory f) {
        for (TrustManager tm : f.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new IllegalStateException("no X509TrustManager");
    }

    /** Accepts any certificate chain, for any host. */
    private static final class TrustAll extends X509ExtendedTrustManager {
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) { }
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) { }
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) { }
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) { }
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType) { }
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType) { }
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }
}
