package io.wstunnel.srv.admin;

import io.wstunnel.srv.tunnel.TokenRegistry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How tokens may appear outside the server: cut ({@code first 8 chars + "..."}) or as a stable,
 * non-reversible id (a truncated SHA-256, the same across restarts so audit records correlate).
 */
public final class TokenIds {
    private static final int CACHE_MAX = 10_000;
    private static final ConcurrentHashMap<String, String> CACHE = new ConcurrentHashMap<>();

    private TokenIds() {
    }

    /** "t-" and 16 hex digits of SHA-256("wstunnel-token:" + token). */
    public static String id(String token) {
        if (token == null) {
            return "";
        }
        String cached = CACHE.get(token);
        if (cached != null) {
            return cached;
        }
        String id = compute(token);
        if (CACHE.size() >= CACHE_MAX) {
            CACHE.clear();
        }
        CACHE.put(token, id);
        return id;
    }

    private static String compute(String token) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] d = md.digest(("wstunnel-token:" + token).getBytes(StandardCharsets.UTF_8));
            return "t-" + HexFormat.of().formatHex(d, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** First 8 characters and "...". */
    public static String cut(String token) {
        return TokenRegistry.cut(token);
    }
}
