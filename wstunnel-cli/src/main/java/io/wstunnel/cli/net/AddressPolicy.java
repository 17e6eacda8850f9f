package io.wstunnel.cli.net;

import io.wstunnel.cli.AgentConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * {@code wstunnel cli -deny}: address ranges the agent never connects to, checked on the resolved
 * address at connect time, so neither an X-Host allowed by {@code -regexp} nor DNS rebinding can
 * make the agent reach, say, a cloud metadata service.
 *
 * <p>Two sets of rules: the {@linkplain #DEFAULT_DENY defaults} (link-local and cloud-metadata
 * addresses, the "this host" addresses), dropped by {@code -deny none}; and the explicit
 * {@code -deny CIDR,...} rules, added to the defaults. The defaults do not apply to
 * {@linkplain #trusting trusted} host names: the operator's own {@code -server} (and, for the TCP
 * stream feature, its configured targets) may point into a default range. Explicit rules apply to
 * every host.
 *
 * <p>Immutable and thread-safe. For raw TCP connects use {@link #resolve(String)} (resolve and check
 * every address, throwing {@link DeniedAddressException}) or {@link #allowed(String, InetAddress)}
 * right before connecting to an already resolved address.
 */
public final class AddressPolicy {
    /** Denied unless {@code -deny none}: this-network, link-local (incl. 169.254.169.254), Alibaba metadata, ::, fe80::/10, AWS IPv6 metadata. */
    public static final List<String> DEFAULT_DENY = List.of(
            "0.0.0.0/8", "169.254.0.0/16", "100.100.100.200/32", "::/128", "fe80::/10", "fd00:ec2::254/128");
    /** The -deny value that drops the defaults. */
    public static final String NONE = "none";

    /** Name lookup: the system resolver unless a test injects another. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    public static final Resolver SYSTEM_RESOLVER = InetAddress::getAllByName;

    private static final AddressPolicy DEFAULTS = new AddressPolicy(parseAll(DEFAULT_DENY), List.of(), Set.of(), SYSTEM_RESOLVER);

    private final List<Cidr> defaults;
    private final List<Cidr> explicit;
    private final Set<String> trusted;
    private final Resolver resolver;

    private AddressPolicy(List<Cidr> defaults, List<Cidr> explicit, Set<String> trusted, Resolver resolver) {
        this.defaults = List.copyOf(defaults);
        this.explicit = List.copyOf(explicit);
        this.trusted = Collections.unmodifiableSet(new LinkedHashSet<>(trusted));
        this.resolver = Objects.requireNonNull(resolver, "resolver");
    }

    /** The default deny list only. */
    public static AddressPolicy defaults() {
        return DEFAULTS;
    }

    /**
     * A policy with its own default list (not applied to {@linkplain #trusting trusted} hosts) and
     * explicit rules (applied to every host); CIDRs or single addresses.
     */
    public static AddressPolicy of(List<String> defaultRules, List<String> explicitRules) {
        return new AddressPolicy(parseAll(defaultRules), parseAll(explicitRules), Set.of(), SYSTEM_RESOLVER);
    }

    /** Denies nothing. */
    public static AddressPolicy allowAll() {
        return new AddressPolicy(List.of(), List.of(), Set.of(), SYSTEM_RESOLVER);
    }

    /**
     * Parses {@code -deny} values: each a comma-separated list of CIDRs ({@code 10.0.0.0/8},
     * {@code fd00::/8}) or single addresses ({@code 192.0.2.7} = /32, {@code ::1} = /128). They are
     * added to the defaults; {@code none} anywhere drops the defaults.
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public static AddressPolicy parse(List<String> values) {
        boolean keepDefaults = true;
        List<String> specs = new ArrayList<>();
        for (String value : values == null ? List.<String>of() : values) {
            for (String s : value.split(",")) {
                String spec = s.trim();
                if (spec.isEmpty()) {
                    continue;
                }
                if (spec.equalsIgnoreCase(NONE)) {
                    keepDefaults = false;
                } else {
                    specs.add(spec);
                }
            }
        }
        return new AddressPolicy(keepDefaults ? DEFAULTS.defaults : List.of(), parseAll(specs), Set.of(), SYSTEM_RESOLVER);
    }

    /**
     * The policy the agent applies to local targets: {@code config.denyRules()} (the defaults when
     * null) with {@code -server}'s host trusted.
     */
    public static AddressPolicy forAgent(AgentConfig config) {
        AddressPolicy p = config.denyRules() == null ? defaults() : config.denyRules();
        return config.server() == null || config.server().getHost() == null ? p : p.trusting(config.server().getHost());
    }

    /** A copy whose default rules do not apply to {@code host} (a name or address literal, [IPv6] allowed). */
    public AddressPolicy trusting(String host) {
        Set<String> t = new LinkedHashSet<>(trusted);
        t.add(normalize(host));
        return new AddressPolicy(defaults, explicit, t, resolver);
    }

    /** A copy that looks names up with {@code r} (tests: a hosts map, DNS rebinding). */
    public AddressPolicy resolvingWith(Resolver r) {
        return new AddressPolicy(defaults, explicit, trusted, r);
    }

    /** Every rule in force, defaults first, as CIDR text. */
    public List<String> rules() {
        List<String> out = new ArrayList<>();
        defaults.forEach(c -> out.add(c.text));
        explicit.forEach(c -> out.add(c.text));
        return out;
    }

    public boolean defaultsEnabled() {
        return !defaults.isEmpty();
    }

    /** Whether {@code address} may be connected to, with no host trusted (every rule applies). */
    public boolean allowed(InetAddress address) {
        return denyingRule(null, address).isEmpty();
    }

    /** Whether {@code address}, which {@code host} resolved to, may be connected to. */
    public boolean allowed(String host, InetAddress address) {
        return denyingRule(host, address).isEmpty();
    }

    /** The rule that denies {@code address} for {@code host} (null = not a trusted host), if any. */
    public Optional<String> denyingRule(String host, InetAddress address) {
        InetAddress a = Objects.requireNonNull(address, "address");
        for (Cidr c : explicit) {
            if (c.contains(a)) {
                return Optional.of(c.text);
            }
        }
        if (host == null || !trusted.contains(normalize(host))) {
            for (Cidr c : defaults) {
                if (c.contains(a)) {
                    return Optional.of(c.text);
                }
            }
        }
        return Optional.empty();
    }

    /** @throws DeniedAddressException if {@code address} is denied for {@code host} */
    public void check(String host, InetAddress address) throws DeniedAddressException {
        Optional<String> rule = denyingRule(host, address);
        if (rule.isPresent()) {
            throw new DeniedAddressException(host, address, rule.get());
        }
    }

    /**
     * Resolves {@code host} (address literals included, [IPv6] allowed) and checks every address:
     * if any is denied the whole name is refused, so a rebinding answer mixing a public and a
     * metadata address gets nowhere.
     *
     * @throws DeniedAddressException if an address is denied
     * @throws UnknownHostException   if the name does not resolve
     */
    public InetAddress[] resolve(String host) throws UnknownHostException {
        String name = stripBrackets(host);
        InetAddress[] addresses = resolver.resolve(name);
        if (addresses == null || addresses.length == 0) {
            throw new UnknownHostException(name);
        }
        for (InetAddress a : addresses) {
            check(host, a);
        }
        return addresses;
    }

    @Override
    public String toString() {
        return "deny " + (rules().isEmpty() ? "nothing" : String.join(",", rules()))
                + (trusted.isEmpty() ? "" : " (defaults not applied to " + String.join(",", trusted) + ")");
    }

    /**
     * The address {@code host} denotes if it is an IP literal (IPv4 dotted quad, IPv6 with or without
     * brackets); empty for a host name. Never looks a name up.
     */
    public static Optional<InetAddress> literal(String host) {
        String h = stripBrackets(host);
        if (!Cidr.looksLikeLiteral(h)) {
            return Optional.empty();
        }
        try {
            return Optional.of(InetAddress.getByName(h)); // a literal: no lookup
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    /**
     * Whether {@code range} (a CIDR such as {@code 10.0.0.0/8} or {@code ::1/128}, or a single address)
     * contains {@code address}; false when {@code range} is not such a literal range.
     */
    public static boolean inRange(String range, InetAddress address) {
        Cidr c;
        try {
            c = Cidr.parse(range);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return c.contains(address);
    }

    static String normalize(String host) {
        String h = stripBrackets(host).toLowerCase(Locale.ROOT);
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static String stripBrackets(String host) {
        String h = Objects.requireNonNull(host, "host").trim();
        return h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    }

    private static List<Cidr> parseAll(List<String> specs) {
        List<Cidr> out = new ArrayList<>();
        for (String s : specs) {
            out.add(Cidr.parse(s));
        }
        return out;
    }

    /** An address range. Only literals are accepted: no name is ever looked up while parsing. */
    static final class Cidr {
        final byte[] network;
        final int prefix;
        final String text;

        private Cidr(byte[] network, int prefix, String text) {
            this.network = network;
            this.prefix = prefix;
            this.text = text;
        }

        static Cidr parse(String spec) {
            String s = spec.trim();
            int slash = s.indexOf('/');
            String addr = slash < 0 ? s : s.substring(0, slash);
            if (!looksLikeLiteral(stripBrackets(addr))) {
                throw new IllegalArgumentException("-deny '" + spec + "': not an IP address or CIDR (e.g. 10.0.0.0/8, fd00::/8)");
            }
            byte[] bytes;
            try {
                bytes = InetAddress.getByName(stripBrackets(addr)).getAddress(); // a literal: no lookup
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException("-deny '" + spec + "': not an IP address or CIDR", e);
            }
            int max = bytes.length * 8;
            int prefix = max;
            if (slash >= 0) {
                try {
                    prefix = Integer.parseInt(s.substring(slash + 1));
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > max) {
                    throw new IllegalArgumentException("-deny '" + spec + "': prefix length must be 0.." + max);
                }
            }
            byte[] network = bytes.clone();
            for (int i = 0; i < network.length; i++) {
                int keep = Math.max(0, Math.min(8, prefix - i * 8));
                network[i] &= (byte) (0xff << (8 - keep));
            }
            String text;
            try {
                text = InetAddress.getByAddress(network).getHostAddress() + "/" + prefix;
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
            return new Cidr(network, prefix, text);
        }

        boolean contains(InetAddress address) {
            byte[] a = address.getAddress();
            if (a.length != network.length) {
                // IPv6 forms that reach an IPv4 host (IPv4-mapped ones are Inet4Address already): check the embedded address
                if (a.length == 16 && network.length == 4 && embedsIpv4(a)) {
                    a = java.util.Arrays.copyOfRange(a, 12, 16);
                } else {
                    return false;
                }
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (a[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (a[full] & mask) == (network[full] & 0xff);
        }

        /** NAT64 well-known prefix 64:ff9b::/96 (RFC 6052): translated to the IPv4 address in the last 32 bits. */
        private static final byte[] NAT64 = {0, 0x64, (byte) 0xff, (byte) 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

        /**
         * True for {@code ::a.b.c.d} (IPv4-compatible, reaches the IPv4 host on some stacks; not {@code ::}
         * or {@code ::1}), {@code ::ffff:0:a.b.c.d} (IPv4-translated, RFC 2765) and {@code 64:ff9b::a.b.c.d}
         * (NAT64): each reaches the IPv4 address in its last 32 bits.
         */
        private static boolean embedsIpv4(byte[] a) {
            if (java.util.Arrays.equals(a, 0, 12, NAT64, 0, 12)) {
                return true;
            }
            for (int i = 0; i < 8; i++) {
                if (a[i] != 0) {
                    return false;
                }
            }
            if (a[8] == (byte) 0xff && a[9] == (byte) 0xff && a[10] == 0 && a[11] == 0) {
                return true; // ::ffff:0:a.b.c.d
            }
            if (a[8] != 0 || a[9] != 0 || a[10] != 0 || a[11] != 0) {
                return false;
            }
            return !(a[12] == 0 && a[13] == 0 && a[14] == 0 && (a[15] == 0 || a[15] == 1)); // not :: or ::1
        }

        /** Only these reach InetAddress.getByName, which then parses and never looks a name up. */
        static boolean looksLikeLiteral(String addr) {
            if (addr.isEmpty()) {
                return false;
            }
            if (addr.indexOf(':') >= 0) {
                return addr.chars().allMatch(c -> c == ':' || c == '.' || c >= '0' && c <= '9'
                        || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F');
            }
            for (int i = 0; i < addr.length(); i++) {
                char c = addr.charAt(i);
                if (c != '.' && (c < '0' || c > '9')) {
                    return false;
                }
            }
            return addr.chars().filter(c -> c == '.').count() == 3;
        }

        @Override
        public String toString() {
            return text;
        }
    }
}
