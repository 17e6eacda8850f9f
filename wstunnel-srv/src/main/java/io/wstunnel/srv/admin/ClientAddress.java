package io.wstunnel.srv.admin;

import io.undertow.server.HttpServerExchange;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Who the caller really is. The peer address is believed; {@code X-Forwarded-For} only when the peer
 * is a trusted proxy (then the right-most address that is not itself a trusted proxy is the client).
 * A peer that is not trusted but sends {@code X-Forwarded-For}/{@code Forwarded} is a proxy we do not
 * know: such a request is never treated as local, even from loopback. {@code Forwarded} (RFC 7239) is
 * never parsed: a trusted proxy that sends it without {@code X-Forwarded-For} hides the client, so
 * that request is not local either.
 */
public final class ClientAddress {
    private final List<Cidr> trusted;

    public ClientAddress(List<String> trustedProxies) {
        List<Cidr> l = new ArrayList<>();
        for (String s : trustedProxies) {
            for (String part : s.split(",")) {
                if (!part.isBlank()) {
                    l.add(Cidr.parse(part.trim()));
                }
            }
        }
        this.trusted = List.copyOf(l);
    }

    /** The decision for one request. */
    public record Resolved(InetAddress client, boolean local, boolean forwarded) {
    }

    public Resolved resolve(HttpServerExchange exchange) {
        InetSocketAddress peerSock = exchange.getSourceAddress();
        InetAddress peer = peerSock == null ? null : peerSock.getAddress();
        String xff = joined(exchange, "X-Forwarded-For");
        boolean forwardedHeader = xff != null || exchange.getRequestHeaders().contains("Forwarded");
        if (peer == null) {
            return new Resolved(null, false, forwardedHeader);
        }
        if (!isTrusted(peer)) {
            return new Resolved(peer, !forwardedHeader && isLoopback(peer), forwardedHeader);
        }
        if (xff == null) {
            return new Resolved(peer, !forwardedHeader && isLoopback(peer), forwardedHeader);
        }
        String[] hops = xff.split(",");
        InetAddress client = null;
        for (int i = hops.length - 1; i >= 0; i--) {
            InetAddress a = parseLiteral(hops[i].trim());
            if (a == null) {
                return new Resolved(null, false, true); // garbage in the chain: not local
            }
            client = a;
            if (!isTrusted(a)) {
                break;
            }
        }
        return new Resolved(client, client != null && isLoopback(client), true);
    }

    private static String joined(HttpServerExchange exchange, String name) {
        var values = exchange.getRequestHeaders().get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        return String.join(",", values);
    }

    /** True for an address inside -trusted-proxies. */
    public boolean isTrusted(InetAddress a) {
        for (Cidr c : trusted) {
            if (c.contains(a)) {
                return true;
            }
        }
        return false;
    }

    /** 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
    public static boolean isLoopback(InetAddress a) {
        if (a == null) {
            return false;
        }
        if (a.isLoopbackAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (b.length == 16) {
            for (int i = 0; i < 10; i++) {
                if (b[i] != 0) {
                    return false;
                }
            }
            return (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff && b[12] == 127;
        }
        return false;
    }

    /** An IP literal (IPv4, IPv6 with or without brackets, an IPv4 with port), or null. No DNS. */
    static InetAddress parseLiteral(String s) {
        String v = s;
        if (v.startsWith("[")) {
            int end = v.indexOf(']');
            if (end < 0) {
                return null;
            }
            v = v.substring(1, end);
        } else if (v.indexOf(':') > 0 && v.indexOf(':') == v.lastIndexOf(':') && v.indexOf('.') > 0) {
            v = v.substring(0, v.indexOf(':')); // 1.2.3.4:567
        }
        if (v.isEmpty() || !(v.indexOf(':') >= 0 || v.chars().allMatch(c -> c == '.' || Character.isDigit(c)))) {
            return null;
        }
        if (v.indexOf(':') >= 0 && !v.chars().allMatch(c -> c == ':' || c == '.' || c == '%'
                || Character.digit(c, 16) >= 0)) {
            return null;
        }
        try {
            return InetAddress.getByName(v);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** An address range; a bare address is a /32 or /128. */
    record Cidr(byte[] network, int bits) {
        static Cidr parse(String s) {
            int slash = s.indexOf('/');
            InetAddress a = parseLiteral(slash < 0 ? s : s.substring(0, slash));
            if (a == null) {
                throw new IllegalArgumentException("not an IP address or CIDR: " + s);
            }
            byte[] addr = a.getAddress();
            int bits = slash < 0 ? addr.length * 8 : Integer.parseInt(s.substring(slash + 1));
            if (bits < 0 || bits > addr.length * 8) {
                throw new IllegalArgumentException("bad prefix length in " + s);
            }
            return new Cidr(addr, bits);
        }

        boolean contains(InetAddress a) {
            byte[] b = a.getAddress();
            if (b.length != network.length) {
                byte[] mapped = unmap(b);
                if (mapped == null || mapped.length != network.length) {
                    return false;
                }
                b = mapped;
            }
            if (bits == 0) {
                return true;
            }
            BigInteger mask = BigInteger.ONE.shiftLeft(network.length * 8).subtract(BigInteger.ONE)
                    .xor(BigInteger.ONE.shiftLeft(network.length * 8 - bits).subtract(BigInteger.ONE));
            return new BigInteger(1, b).and(mask).equals(new BigInteger(1, network).and(mask));
        }

        private static byte[] unmap(byte[] b) {
            if (b.length == 16) {
                for (int i = 0; i < 10; i++) {
                    if (b[i] != 0) {
                        return null;
                    }
                }
                if ((b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff) {
                    return new byte[]{b[12], b[13], b[14], b[15]};
                }
            }
            return null;
        }
    }
}
