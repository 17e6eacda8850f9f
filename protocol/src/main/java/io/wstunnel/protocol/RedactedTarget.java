package io.wstunnel.protocol;

/**
 * A request target ({@code /path?query}, or an absolute URL) as a log line may show it. Query strings
 * often carry secrets ({@code ?access_token=...}, {@code ?password=...}), so every query parameter keeps
 * its name and loses its value: {@code /search?q=abc&token=xyz} → {@code /search?q=...&token=...}. A
 * parameter without {@code =} is only a name and stays; an empty value stays empty. Everything after
 * the first {@code '?'} is the query; only {@code '&'} separates parameters, so anything else (a
 * {@code ';'}, a {@code '#'}) is part of a value and goes with it. An absolute URL's user info goes too
 * ({@code http://user:pw@host/} → {@code http://...@host/}). The result is at most
 * {@link #MAX_CHARS} characters plus a note of the full length.
 */
public final class RedactedTarget {
    /** What stands for a parameter's value (ASCII: Java 17 may log with an ASCII charset). */
    public static final String ELIDED = "...";
    /** Longest target shown whole; a longer one is cut there. */
    public static final int MAX_CHARS = 512;

    private RedactedTarget() {
    }

    /** {@code target} with each query value replaced by {@link #ELIDED}, cut to {@link #MAX_CHARS}; null stays null. */
    public static String of(String target) {
        if (target == null) {
            return null;
        }
        int q = target.indexOf('?');
        String shown = q < 0 ? withoutUserInfo(target)
                : withoutUserInfo(target.substring(0, q)) + "?" + redactQuery(target.substring(q + 1));
        return cap(shown, target.length());
    }

    /** {@code scheme://user:pw@host/...} → {@code scheme://...@host/...}; anything else unchanged. */
    private static String withoutUserInfo(String s) {
        int scheme = s.indexOf("://");
        if (scheme <= 0 || s.indexOf('/') != scheme + 1) {
            return s;
        }
        int authorityEnd = s.indexOf('/', scheme + 3);
        int at = s.lastIndexOf('@', authorityEnd < 0 ? s.length() - 1 : authorityEnd - 1);
        return at < scheme + 3 ? s : s.substring(0, scheme + 3) + ELIDED + s.substring(at);
    }

    private static String redactQuery(String query) {
        StringBuilder sb = new StringBuilder(query.length());
        int start = 0;
        while (start <= query.length()) {
            int amp = query.indexOf('&', start);
            int end = amp < 0 ? query.length() : amp;
            int eq = query.indexOf('=', start);
            if (eq >= 0 && eq < end) {
                sb.append(query, start, eq + 1);
                if (eq + 1 < end) {
                    sb.append(ELIDED);
                }
            } else {
                sb.append(query, start, end);
            }
            if (amp < 0) {
                break;
            }
            sb.append('&');
            start = amp + 1;
        }
        return sb.toString();
    }

    /** At most MAX_CHARS characters of {@code s} (never half a surrogate pair), then the original length. */
    private static String cap(String s, int originalLength) {
        if (s.length() <= MAX_CHARS) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(MAX_CHARS - 1)) ? MAX_CHARS - 1 : MAX_CHARS;
        return s.substring(0, end) + "...(" + originalLength + " chars)";
    }
}
