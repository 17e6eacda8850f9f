package io.wstunnel.cli.net;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A target resolved to an address that {@code wstunnel cli -deny} forbids. An
 * {@link UnknownHostException} so that it travels through name-resolution hooks (HttpClient's
 * DnsResolver) unchanged; callers answer it with 403, not 502.
 */
public final class DeniedAddressException extends UnknownHostException {
    private static final long serialVersionUID = 1L;

    private final String host;
    private final transient InetAddress address;
    private final String rule;

    public DeniedAddressException(String host, InetAddress address, String rule) {
        super((host == null ? address.getHostAddress() : host) + " resolves to denied address "
                + address.getHostAddress() + " (wstunnel cli -deny " + rule + ")");
        this.host = host;
        this.address = address;
        this.rule = rule;
    }

    /**
     * The refusal as a caller may see it: the name, but neither the address it resolved to nor the
     * rule (those stay in the agent's log, {@link #getMessage()}).
     */
    public String publicReason() {
        return (host == null ? "the target" : host) + " resolves to a denied address (wstunnel cli -deny)";
    }

    /** The name (or literal) that was being connected to, or null. */
    public String host() {
        return host;
    }

    /** The denied address. */
    public InetAddress address() {
        return address;
    }

    /** The CIDR rule that denies it. */
    public String rule() {
        return rule;
    }

    /** This exception if {@code t} or one of its causes is one, else null. */
    public static DeniedAddressException find(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof DeniedAddressException d) {
                return d;
            }
        }
        return null;
    }
}
