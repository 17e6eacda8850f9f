package io.wstunnel.e2e;

import io.wstunnel.srv.tls.Pem;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates made during the test with the JDK's keytool (nothing private is checked in). A minimal
 * copy of wstunnel-srv's test-only {@code io.wstunnel.srv.tls.TestPki}, which is not on this module's
 * test classpath.
 */
final class E2ePki {
    private static final String PW = "changeit";
    private final Path dir;

    E2ePki(Path dir) {
        this.dir = dir;
    }

    /** A key and its certificate chain (leaf first). */
    record Identity(String name, PrivateKey key, List<X509Certificate> chain, Path p12) {
        X509Certificate cert() {
            return chain.get(0);
        }

        /** Writes {@code <dir>/<name>.chain.pem} (chain, leaf first) and {@code <dir>/<name>.key.pem} (PKCS#8). */
        Pair writePem(Path dir) throws IOException {
            StringBuilder sb = new StringBuilder();
            for (X509Certificate c : chain) {
                sb.append(Pem.encode(c));
            }
            Path certFile = Files.writeString(dir.resolve(name + ".chain.pem"), sb);
            Path keyFile = Files.writeString(dir.resolve(name + ".key.pem"), Pem.encode("PRIVATE KEY", key.getEncoded()));
            return new Pair(certFile, keyFile);
        }

        /** Writes only the leaf certificate (e.g. a CA to trust) to {@code <dir>/<name>.crt}. */
        Path writeCert(Path dir) throws IOException {
            return Files.writeString(dir.resolve(name + ".crt"), Pem.encode(cert()));
        }
    }

    record Pair(Path cert, Path key) {
    }

    /** An SSLContext trusting only {@code trusted} and presenting no certificate. */
    static SSLContext trusting(X509Certificate... trusted) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        for (int i = 0; i < trusted.length; i++) {
            ts.setCertificateEntry("t" + i, trusted[i]);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** A self-signed CA able to sign. */
    Identity ca(String name) throws Exception {
        return selfSigned(name, "CN=" + name, "bc:c", "ku:c=keyCertSign,cRLSign");
    }

    /** An EC key whose certificate {@code ca} signs, valid from now for 2 days; {@code ext} are keytool -ext values. */
    Identity signed(Identity ca, String name, String dname, String... ext) throws Exception {
        Identity own = selfSigned(name, dname);
        Path csr = dir.resolve(name + ".csr");
        Path crt = dir.resolve(name + ".signed.crt");
        keytool(List.of("-certreq", "-alias", name, "-keystore", own.p12().toString(), "-storepass", PW,
                "-file", csr.toString()));
        List<String> args = new ArrayList<>(List.of("-gencert", "-alias", ca.name(), "-keystore", ca.p12().toString(),
                "-storepass", PW, "-infile", csr.toString(), "-outfile", crt.toString(), "-rfc", "-validity", "2"));
        for (String e : ext) {
            args.addAll(List.of("-ext", e));
        }
        keytool(args);
        X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(crt)));
        return new Identity(name, own.key(), List.of(leaf, ca.cert()), own.p12());
    }

    private Identity selfSigned(String name, String dname, String... ext) throws Exception {
        Path p12 = dir.resolve(name + ".p12");
        List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", name, "-keyalg", "EC",
                "-groupname", "secp256r1", "-dname", dname, "-validity", "3", "-keystore", p12.toString(),
                "-storetype", "PKCS12", "-storepass", PW, "-keypass", PW));
        for (String e : ext) {
            args.addAll(List.of("-ext", e));
        }
        keytool(args);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, PW.toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey(name, PW.toCharArray());
        List<X509Certificate> chain = new ArrayList<>();
        for (Certificate c : ks.getCertificateChain(name)) {
            chain.add((X509Certificate) c);
        }
        return new Identity(name, key, chain, p12);
    }

    private static void keytool(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto"));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("keytool timed out: " + cmd);
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + args + ": " + new String(out, StandardCharsets.UTF_8));
        }
    }
}
