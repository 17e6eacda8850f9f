package io.wstunnel.srv.tls;

import io.wstunnel.srv.admin.TokenIds;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The {@code /_tunnel} check of an agent's client certificate: it must chain to {@code -agent-ca}
 * (PKIX, validity dates checked, no revocation lookup), allow client authentication when it
 * restricts its key usage, and, with {@code -agent-cert-binds-token}, carry the token (or its id
 * {@code t-…}, see {@link TokenIds#id}) as subject CN or as a DNS/URI/e-mail subject alternative name.
 */
public final class AgentCertificates {
    /** The refusal texts (all answered with 403). */
    public static final String REQUIRED = "Client certificate required for agents";
    public static final String UNTRUSTED = "Client certificate not issued by the agent CA";
    public static final String EXPIRED = "Client certificate expired or not yet valid";
    public static final String NOT_CLIENT = "Client certificate not valid for client authentication";
    public static final String WRONG_TOKEN = "Client certificate does not match the token";

    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final String ANY_EKU = "2.5.29.37.0";

    private final List<X509Certificate> authorities;
    private final Set<TrustAnchor> anchors = new HashSet<>();
    private final boolean bindsToken;

    public AgentCertificates(List<X509Certificate> authorities, boolean bindsToken) {
        this.authorities = List.copyOf(authorities);
        this.bindsToken = bindsToken;
        for (X509Certificate ca : authorities) {
            anchors.add(new TrustAnchor(ca, null));
        }
    }

    public List<X509Certificate> authorities() {
        return authorities;
    }

    public boolean bindsToken() {
        return bindsToken;
    }

    /**
     * @param chain the peer's certificates, leaf first; null or empty when it sent none
     * @return null when the agent may connect, else the plain-text reason for a 403
     */
    public String check(X509Certificate[] chain, String token) {
        if (chain == null || chain.length == 0) {
            return REQUIRED;
        }
        List<X509Certificate> path = new ArrayList<>();
        for (X509Certificate c : chain) {
            if (!authorities.contains(c)) {
                path.add(c);
            }
        }
        if (path.isEmpty()) {
            return UNTRUSTED; // a CA certificate itself is not an agent certificate
        }
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            PKIXParameters params = new PKIXParameters(anchors);
            params.setRevocationEnabled(false);
            CertPathValidator.getInstance("PKIX").validate(cf.generateCertPath(path), params);
        } catch (CertPathValidatorException e) {
            if (e.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                    || e.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
                return EXPIRED;
            }
            return UNTRUSTED;
        } catch (GeneralSecurityException e) {
            return UNTRUSTED;
        }
        X509Certificate leaf = path.get(0);
        try {
            List<String> eku = leaf.getExtendedKeyUsage();
            if (eku != null && !eku.contains(CLIENT_AUTH) && !eku.contains(ANY_EKU)) {
                return NOT_CLIENT;
            }
        } catch (CertificateParsingException e) {
            return NOT_CLIENT;
        }
        if (bindsToken && !names(leaf).stream().anyMatch(n -> same(n, token) || same(n, TokenIds.id(token)))) {
            return WRONG_TOKEN;
        }
        return null;
    }

    /** Subject CN(s) and DNS / URI / e-mail subject alternative names. */
    static List<String> names(X509Certificate cert) {
        List<String> names = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    names.add(String.valueOf(rdn.getValue()));
                }
            }
        } catch (InvalidNameException e) {
            // no CN
        }
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    int type = (Integer) san.get(0);
                    if ((type == 1 || type == 2 || type == 6) && san.get(1) instanceof String) {
                        names.add((String) san.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // no SAN
        }
        return names;
    }

    private static boolean same(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}
