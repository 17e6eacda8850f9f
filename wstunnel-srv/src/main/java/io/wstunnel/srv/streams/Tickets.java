package io.wstunnel.srv.streams;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import io.wstunnel.srv.admin.TokenIds;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * One-time tickets: an admin creates one for a token and a target ({@code POST /admin/tickets}); the
 * URL {@code /_ticket/<id>/...} lets one client through once, without the token. Held in a Caffeine
 * cache; an entry outlives its expiry by {@link #GRACE} so that a late client is told "expired" rather
 * than "unknown". Every creation and every use (granted or refused) is audited.
 */
public final class Tickets {
    public static final String PREFIX = "/_ticket/";
    public static final Duration MAX_TTL = Duration.ofDays(1);
    static final Duration GRACE = Duration.ofMinutes(10);
    private static final SecureRandom RANDOM = new SecureRandom();

    public enum Type {
        HTTP, WEBSOCKET, TCP;

        /** @throws IllegalArgumentException unless http, websocket or tcp (any case) */
        public static Type parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("target.type must be http, websocket or tcp, not '" + s + "'");
            }
        }
    }

    /**
     * @param target the path prefix (HTTP, WEBSOCKET) or the TCP target name
     */
    public record Ticket(String id, String token, Type type, String target, long expiresNanos, long expiresEpochMillis,
                         AtomicBoolean used) {
        /** The path the client uses, relative to the base path. */
        public String path() {
            String rest = type == Type.TCP ? StreamRoutes.TCP_PREFIX + target : target;
            return PREFIX + id + rest;
        }
    }

    /** What a client presenting a ticket gets. */
    public sealed interface Decision {
        record Granted(String token, String path) implements Decision { }

        record Refused(String reason) implements Decision { }
    }

    private final Cache<String, Ticket> cache;
    private final Ticker ticker;
    private final BiConsumer<String, Map<String, Object>> audit;

    /** @param audit receives "ticket_created", "ticket_used", "ticket_refused" records */
    public Tickets(BiConsumer<String, Map<String, Object>> audit) {
        this(audit, Ticker.systemTicker());
    }

    Tickets(BiConsumer<String, Map<String, Object>> audit, Ticker ticker) {
        this.audit = audit;
        this.ticker = ticker;
        this.cache = Caffeine.newBuilder()
                .ticker(ticker)
                .maximumSize(100_000)
                .expireAfter(new Expiry<String, Ticket>() {
                    @Override
                    public long expireAfterCreate(String key, Ticket t, long currentTime) {
                        return Math.max(0, t.expiresNanos() - currentTime) + GRACE.toNanos();
                    }

                    @Override
                    public long expireAfterUpdate(String key, Ticket t, long currentTime, long currentDuration) {
                        return currentDuration;
                    }

                    @Override
                    public long expireAfterRead(String key, Ticket t, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    /**
     * @throws IllegalArgumentException for a bad target or lifetime
     */
    public Ticket create(String token, Type type, String target, Duration ttl, String by) {
        if (token == null || token.isEmpty()) {
            throw new IllegalArgumentException("token is required");
        }
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("ttlSeconds must be 1 .. " + MAX_TTL.toSeconds());
        }
        String t = target == null ? "" : target;
        if (type == Type.TCP) {
            if (!StreamRoutes.TCP_NAME.matcher(t).matches()) {
                throw new IllegalArgumentException("target.name must be a TCP target name (letters, digits, '.', '_', '-')");
            }
        } else {
            if (t.isEmpty()) {
                t = "/";
            }
            if (!t.startsWith("/") || t.contains("..") || t.chars().anyMatch(c -> c <= ' ' || c == '?' || c == '#')) {
                throw new IllegalArgumentException("target.pathPrefix must be a path starting with '/' (no query, no '..')");
            }
        }
        byte[] b = new byte[24];
        RANDOM.nextBytes(b);
        String id = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
        long now = ticker.read();
        Ticket ticket = new Ticket(id, token, type, t, now + ttl.toNanos(),
                System.currentTimeMillis() + ttl.toMillis(), new AtomicBoolean());
        cache.put(id, ticket);
        Map<String, Object> f = fields(ticket);
        f.put("ttl_seconds", ttl.toSeconds());
        f.put("by", by);
        audit.accept("ticket_created", f);
        return ticket;
    }

    /**
     * Checks and consumes a ticket.
     *
     * @param rest    the request path after {@code /_ticket/<id>} (starting with '/' or empty)
     * @param upgrade the request is a WebSocket upgrade
     */
    public Decision use(String id, String rest, boolean upgrade, String remote) {
        Ticket t = cache.getIfPresent(id);
        String path = rest.isEmpty() ? "/" : rest;
        String refusal;
        if (t == null) {
            refusal = "Unknown ticket";
        } else if (ticker.read() - t.expiresNanos() >= 0) {
            refusal = "Ticket expired";
        } else if (!matches(t, path, upgrade)) {
            refusal = "Ticket not valid for this target (it is for " + describe(t) + ")";
        } else if (!t.used().compareAndSet(false, true)) {
            refusal = "Ticket already used";
        } else {
            Map<String, Object> f = fields(t);
            f.put("remote_addr", remote);
            f.put("path", path);
            audit.accept("ticket_used", f);
            return new Decision.Granted(t.token(), path);
        }
        Map<String, Object> f = t == null ? new LinkedHashMap<>() : fields(t);
        if (t == null) {
            f.put("ticket", shortId(id));
        }
        f.put("remote_addr", remote);
        f.put("path", path);
        f.put("reason", refusal);
        audit.accept("ticket_refused", f);
        return new Decision.Refused(refusal);
    }

    static boolean matches(Ticket t, String path, boolean upgrade) {
        switch (t.type()) {
            case TCP:
                return upgrade && path.equals(StreamRoutes.TCP_PREFIX + t.target());
            case WEBSOCKET:
                return upgrade && underPrefix(path, t.target()) && !path.startsWith(StreamRoutes.TCP_PREFIX)
                        && staysUnder(path, t.target());
            default:
                return !upgrade && underPrefix(path, t.target()) && !path.startsWith(StreamRoutes.TCP_PREFIX)
                        && staysUnder(path, t.target());
        }
    }

    /**
     * The path reaches the target as sent, and a target that resolves dot segments would take
     * {@code /a/../b} (or {@code /a/%2e%2e/b}, {@code /a/..;/b}, {@code /a/..%5cb}) for {@code /b}: under a prefix
     * other than {@code /}, a path with a "." or ".." segment is not under it.
     */
    static boolean staysUnder(String path, String prefix) {
        return prefix.equals("/") || !hasDotSegment(path);
    }

    /** Segments split at '/' or '\' after one percent-decoding of ASCII escapes, ";params" ignored. */
    static boolean hasDotSegment(String path) {
        StringBuilder p = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length()) {
                int hi = Character.digit(path.charAt(i + 1), 16);
                int lo = Character.digit(path.charAt(i + 2), 16);
                if (hi >= 0 && hi < 8 && lo >= 0) {
                    p.append((char) (hi << 4 | lo));
                    i += 2;
                    continue;
                }
            }
            p.append(c);
        }
        for (String seg : p.toString().split("[/\\\\]", -1)) {
            int semi = seg.indexOf(';');
            String s = semi < 0 ? seg : seg.substring(0, semi);
            if (s.equals(".") || s.equals("..")) {
                return true;
            }
        }
        return false;
    }

    /** {@code /a} covers /a, /a/ and /a/b but not /ab; {@code /a/} covers /a/...; {@code /} covers all. */
    static boolean underPrefix(String path, String prefix) {
        if (prefix.endsWith("/")) {
            return path.startsWith(prefix) || path.equals(prefix.substring(0, prefix.length() - 1));
        }
        return path.equals(prefix) || path.startsWith(prefix + "/");
    }

    private static String describe(Ticket t) {
        switch (t.type()) {
            case TCP:
                return "the TCP target '" + t.target() + "' (" + StreamRoutes.TCP_PREFIX + t.target() + ", WebSocket)";
            case WEBSOCKET:
                return "WebSocket connections under " + t.target();
            default:
                return "HTTP requests under " + t.target();
        }
    }

    private static Map<String, Object> fields(Ticket t) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("ticket", shortId(t.id()));
        f.put("token_id", TokenIds.id(t.token()));
        f.put("target_type", t.type().name().toLowerCase(Locale.ROOT));
        f.put("target", t.target());
        return f;
    }

    /** Tickets are bearer secrets: logs and audit records show only their first 6 characters. */
    static String shortId(String id) {
        return id.length() <= 6 ? id : id.substring(0, 6) + "...";
    }
}
