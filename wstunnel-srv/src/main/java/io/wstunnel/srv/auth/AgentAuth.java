package io.wstunnel.srv.auth;

import io.undertow.server.HttpServerExchange;
import io.undertow.server.RenegotiationRequiredException;
import io.undertow.server.SSLSessionInfo;
import io.wstunnel.srv.tls.AgentCertificates;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLPeerUnverifiedException;

/** What an agent must prove on {@code /_tunnel}: a password (when its token has one), a client certificate (with -agent-ca). */
public final class AgentAuth {
    private final PasswordStore passwords;
    private final Supplier<AgentCertificates> certificates;

    /**
     * @param certificates the current client-certificate check; it or its result null = none required
     */
    public AgentAuth(PasswordStore passwords, Supplier<AgentCertificates> certificates) {
        this.passwords = passwords;
        this.certificates = certificates == null ? () -> null : certificates;
    }

    /** Plain {@code -passwords} only, no certificates. */
    public static AgentAuth plain(Map<String, String> passwords) {
        return new AgentAuth(PasswordStore.load(passwords, ""), null);
    }

    public PasswordStore passwords() {
        return passwords;
    }

    /** The credential of {@code token}, or null when it needs no password. */
    public Credential credential(String token) {
        return passwords.lookup(token);
    }

    /** @return null when the agent's TLS client certificate is acceptable (or none is required), else the 403 reason */
    public String checkCertificate(HttpServerExchange exchange, String token) {
        AgentCertificates check = certificates.get();
        if (check == null) {
            return null;
        }
        return check.check(peerCertificates(exchange), token);
    }

    static X509Certificate[] peerCertificates(HttpServerExchange exchange) {
        SSLSessionInfo ssl = exchange.getConnection().getSslSessionInfo();
        if (ssl == null) {
            return null;
        }
        try {
            Certificate[] certs = ssl.getPeerCertificates();
            if (certs == null) {
                return null;
            }
            X509Certificate[] x509 = new X509Certificate[certs.length];
            for (int i = 0; i < certs.length; i++) {
                if (!(certs[i] instanceof X509Certificate)) {
                    return null;
                }
                x509[i] = (X509Certificate) certs[i];
            }
            return x509;
        } catch (SSLPeerUnverifiedException | RenegotiationRequiredException e) {
            return null;
        }
    }
}
