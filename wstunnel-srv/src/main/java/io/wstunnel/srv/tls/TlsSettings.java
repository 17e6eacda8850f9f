package io.wstunnel.srv.tls;

/**
 * Native TLS of the server, as configured. Either a PEM pair ({@code certFile} + {@code keyFile}) or a
 * PKCS#12 {@code keystoreFile}; nothing set = plain HTTP. Files are re-read when their content changes.
 *
 * @param certFile            PEM certificate chain, leaf first ("" = none)
 * @param keyFile             PEM private key: PKCS#8, PKCS#1 RSA or SEC1 EC, unencrypted ("" = none)
 * @param keystoreFile        PKCS#12 keystore holding one private key entry ("" = none)
 * @param keystorePassword    its password ("" = none)
 * @param agentCaFile         PEM CA certificate(s) agents' client certificates must chain to ("" = no mTLS)
 * @param agentCertBindsToken the agent certificate's CN or a SAN must equal the token or its id
 */
public record TlsSettings(
        String certFile,
        String keyFile,
        String keystoreFile,
        String keystorePassword,
        String agentCaFile,
        boolean agentCertBindsToken) {

    /** Plain HTTP. */
    public static final TlsSettings NONE = new TlsSettings("", "", "", "", "", false);

    public TlsSettings {
        certFile = blankToEmpty(certFile);
        keyFile = blankToEmpty(keyFile);
        keystoreFile = blankToEmpty(keystoreFile);
        keystorePassword = keystorePassword == null ? "" : keystorePassword;
        agentCaFile = blankToEmpty(agentCaFile);
        if (certFile.isEmpty() != keyFile.isEmpty()) {
            throw new IllegalArgumentException("-tls-cert and -tls-key go together");
        }
        if (!certFile.isEmpty() && !keystoreFile.isEmpty()) {
            throw new IllegalArgumentException("use either -tls-cert/-tls-key or -tls-keystore, not both");
        }
        if (!agentCaFile.isEmpty() && certFile.isEmpty() && keystoreFile.isEmpty()) {
            throw new IllegalArgumentException("-agent-ca needs native TLS (-tls-cert/-tls-key or -tls-keystore)");
        }
        if (agentCertBindsToken && agentCaFile.isEmpty()) {
            throw new IllegalArgumentException("-agent-cert-binds-token needs -agent-ca");
        }
    }

    /** PEM pair. */
    public static TlsSettings pem(String certFile, String keyFile) {
        return new TlsSettings(certFile, keyFile, "", "", "", false);
    }

    /** PKCS#12 keystore. */
    public static TlsSettings keystore(String file, String password) {
        return new TlsSettings("", "", file, password, "", false);
    }

    public TlsSettings withAgentCa(String caFile, boolean bindsToken) {
        return new TlsSettings(certFile, keyFile, keystoreFile, keystorePassword, caFile, bindsToken);
    }

    /** True when the listener speaks HTTPS. */
    public boolean enabled() {
        return !certFile.isEmpty() || !keystoreFile.isEmpty();
    }

    /** True when agents must present a client certificate. */
    public boolean agentCertificates() {
        return !agentCaFile.isEmpty();
    }

    private static String blankToEmpty(String s) {
        return s == null ? "" : s.trim();
    }

    @Override
    public String toString() {
        return "TlsSettings[cert=" + certFile + ", key=" + keyFile + ", keystore=" + keystoreFile
                + ", keystorePassword=" + (keystorePassword.isEmpty() ? "" : "***") + ", agentCa=" + agentCaFile
                + ", agentCertBindsToken=" + agentCertBindsToken + "]";
    }
}
