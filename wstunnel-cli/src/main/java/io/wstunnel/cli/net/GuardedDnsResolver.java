package io.wstunnel.cli.net;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.hc.client5.http.DnsResolver;

/**
 * HttpClient 5's name resolution for local targets, checked by an {@link AddressPolicy}: every
 * address a connection could go to passes the policy first. HttpClient asks it for address literals
 * too (a target {@code HttpHost} built from a string carries no resolved address), so one hook
 * covers names, literals and DNS rebinding (each new connection resolves again).
 */
public final class GuardedDnsResolver implements DnsResolver {
    private final AddressPolicy policy;

    public GuardedDnsResolver(AddressPolicy policy) {
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    public AddressPolicy policy() {
        return policy;
    }

    /** @throws DeniedAddressException if {@code host} resolves to a denied address */
    @Override
    public InetAddress[] resolve(String host) throws UnknownHostException {
        return policy.resolve(host);
    }

    @Override
    public List<InetSocketAddress> resolve(String host, int port) throws UnknownHostException {
        InetAddress[] addresses = resolve(host);
        List<InetSocketAddress> out = new ArrayList<>(addresses.length);
        for (InetAddress a : addresses) {
            out.add(new InetSocketAddress(a, port));
        }
        return out;
    }

    @Override
    public String resolveCanonicalHostname(String host) throws UnknownHostException {
        InetAddress[] addresses = resolve(host);
        String canonical = addresses[0].getCanonicalHostName();
        return canonical != null ? canonical : host;
    }
}
