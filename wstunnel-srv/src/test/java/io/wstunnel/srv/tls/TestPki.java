package io.wstunnel.srv.tls;

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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Certificates made in the test with the JDK's keytool: nothing private is checked in. */
public final class TestPki {
    static final String PW = "changeit";
    private final Path dir;

    public TestPki(Path dir) {
        this.dir = dir;
    }

    /** A key and its certificate chain (leaf first). */
    public record Identity(String name, PrivateKey key, List<X509Certificate> chain, Path p12) {
        public X509Certificate cert() {
            return chain.get(0);
        }

        /** Writes PEM files: {@code <prefix>.crt} (chain) and {@code <prefix>.key} (PKCS#8). */
        public Path[] writePem(Path certFile, Path keyFile) throws IOException {
            StringBuilder sb = new StringBuilder();
            for (X509Certificate c : chain) {
                sb.append(Pem.encode(c));
            }
            Files.writeString(certFile, sb);
            Files.writeString(keyFile, Pem.encode("PRIVATE KEY", key.getEncoded()));
            return new Path[] {certFile, keyFile};
        }

        /** A client/server SSLContext presenting this identity. */
        public SSLContext keyContext(X509Certificate... trusted) throws Exception {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("me", key, PW.toCharArray(), chain.toArray(new Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, PW.toCharArray());
            javax.net.ssl.X509KeyManager km = (javax.net.ssl.X509KeyManager) kmf.getKeyManagers()[0];
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(new javax.net.ssl.KeyManager[] {new AlwaysPresent(km)}, trustManagers(trusted), null);
            return ctx;
        }
    }

    /** Presents its one certificate whatever issuers the server names (so "wrong CA" reaches the server). */
    private static final class AlwaysPresent extends javax.net.ssl.X509ExtendedKeyManager {
        private final javax.net.ssl.X509KeyManager km;

        AlwaysPresent(javax.net.ssl.X509KeyManager km) {
            this.km = km;
        }

        @Override
        public String[] getClientAliases(String keyType, java.security.Principal[] issuers) {
            return new String[] {"me"};
        }

        @Override
        public String chooseClientAlias(String[] keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            return "me";
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, java.security.Principal[] issuers, javax.net.ssl.SSLEngine e) {
            return "me";
        }

        @Override
        public String[] getServerAliases(String keyType, java.security.Principal[] issuers) {
            return km.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, java.security.Principal[] issuers, java.net.Socket socket) {
            return km.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return km.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return km.getPrivateKey(alias);
        }
    }

    /** An SSLContext trusting only {@code trusted}. */
    public static SSLContext trusting(X509Certificate... trusted) throws Exception {
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, trustManagers(trusted), null);
        return ctx;
    }

    private static javax.net.ssl.TrustManager[] trustManagers(X509Certificate... trusted) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        for (int i = 0; i < trusted.length; i++) {
            ts.setCertificateEntry("t" + i, trusted[i]);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        return tmf.getTrustManagers();
    }

    /** Self-signed; {@code ext} are keytool -ext values (e.g. "SAN=ip:127.0.0.1", "bc:c"). */
    public Identity selfSigned(String name, String keyAlg, String dname, String... ext) throws Exception {
        Path p12 = dir.resolve(name + ".p12");
        List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", name, "-keyalg", keyAlg,
                "-dname", dname, "-validity", "3", "-keystore", p12.toString(), "-storetype", "PKCS12",
                "-storepass", PW, "-keypass", PW));
        if (keyAlg.equals("RSA")) {
            args.addAll(List.of("-keysize", "2048"));
        }
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

    /** A CA able to sign. */
    public Identity ca(String name) throws Exception {
        return selfSigned(name, "EC", "CN=" + name, "bc:c", "ku:c=keyCertSign,cRLSign");
    }

    /** A key whose certificate {@code ca} signs; {@code ext} as for {@link #selfSigned}. */
    public Identity signed(Identity ca, String name, String dname, String... ext) throws Exception {
        return signed(ca, name, dname, List.of("-validity", "2"), ext);
    }

    /** Expired since yesterday. */
    public Identity expired(Identity ca, String name, String dname) throws Exception {
        return signed(ca, name, dname, List.of("-startdate", "-3d", "-validity", "1"));
    }

    private Identity signed(Identity ca, String name, String dname, List<String> validity, String... ext) throws Exception {
        Identity own = selfSigned(name, "EC", dname);
        Path csr = dir.resolve(name + ".csr");
        Path crt = dir.resolve(name + ".crt");
        keytool(List.of("-certreq", "-alias", name, "-keystore", own.p12().toString(), "-storepass", PW,
                "-file", csr.toString()));
        List<String> args = new ArrayList<>(List.of("-gencert", "-alias", ca.name(), "-keystore", ca.p12().toString(),
                "-storepass", PW, "-infile", csr.toString(), "-outfile", crt.toString(), "-rfc"));
        args.addAll(validity);
        for (String e : ext) {
            args.addAll(List.of("-ext", e));
        }
        keytool(args);
        X509Certificate leaf = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(crt)));
        return new Identity(name, own.key(), List.of(leaf, ca.cert()), own.p12());
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
            throw new IllegalStateException("keytool failed: " + Arrays.toString(args.toArray()) + ": "
                    + new String(out, StandardCharsets.UTF_8));
        }
    }
}
