package io.wstunnel.protocol.legacy;

import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.HttpTokens;
import java.util.ArrayList;
import java.util.List;

/**
 * The HTTP/1.x line syntax of legacy messages: request and status lines, header lines, chunk-size
 * lines. Stateless; every rejection is a {@link LegacyProtocolException} carrying the message's id.
 */
final class Http1Syntax {
    /** A parsed request line; {@code version} is e.g. "HTTP/1.1". */
    record RequestLine(String method, String target, String version) {
    }

    /** A parsed status line; {@code reason} is trimmed, possibly empty. */
    record StatusLine(String version, int status, String reason) {
    }

    private Http1Syntax() {
    }

    static RequestLine requestLine(String first, int id) {
        int sp1 = first.indexOf(' ');
        int sp2 = first.lastIndexOf(' ');
        if (sp1 <= 0 || sp2 <= sp1 + 1) {
            throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, id, "bad request line");
        }
        String method = first.substring(0, sp1);
        String target = first.substring(sp1 + 1, sp2);
        String version = first.substring(sp2 + 1);
        if (!HttpTokens.isToken(method) || target.indexOf(' ') >= 0 || !isVersion(version)) {
            throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, id, "bad request line");
        }
        return new RequestLine(method, target, version);
    }

    static StatusLine statusLine(String first, int id) {
        if (first.length() < 12 || !isVersion(first.substring(0, 8)) || first.charAt(8) != ' ') {
            throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, id, "bad status line");
        }
        String code = first.substring(9, 12);
        if (!code.chars().allMatch(c -> c >= '0' && c <= '9') || code.charAt(0) == '0'
                || (first.length() > 12 && first.charAt(12) != ' ')) {
            throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, id, "bad status code");
        }
        String reason = first.length() > 13 ? first.substring(13).trim() : "";
        return new StatusLine(first.substring(0, 8), Integer.parseInt(code), reason);
    }

    /** Header lines (none empty), obsolete folding joined into the previous field with one space. */
    static Headers headers(List<String> lines, int id) {
        List<Header> out = new ArrayList<>(lines.size());
        for (String l : lines) {
            char c0 = l.charAt(0);
            if (c0 == ' ' || c0 == '\t') {
                if (out.isEmpty()) {
                    throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, id, "continuation line before any header");
                }
                Header prev = out.remove(out.size() - 1);
                out.add(new Header(prev.name(), (prev.value() + " " + trimOws(l)).trim()));
                continue;
            }
            int colon = l.indexOf(':');
            if (colon <= 0) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, id, "header line without a name and ':'");
            }
            String name = l.substring(0, colon);
            if (!HttpTokens.isToken(name)) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, id, "bad header name");
            }
            out.add(new Header(name, trimOws(l.substring(colon + 1))));
        }
        return new Headers(out);
    }

    /** @return the size of a chunk-size line (extensions ignored); at most 15 hex digits, so never negative */
    static long chunkSize(String line, int id) {
        int semi = line.indexOf(';');
        String hex = (semi >= 0 ? line.substring(0, semi) : line).trim();
        if (hex.isEmpty() || hex.length() > 15) {
            throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, id, "bad chunk size");
        }
        long size = 0;
        for (int i = 0; i < hex.length(); i++) {
            int v = LegacyIds.hexDigit(hex.charAt(i));
            if (v < 0) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, id, "bad chunk size");
            }
            size = size << 4 | v;
        }
        return size;
    }

    static boolean isVersion(String v) {
        return v.length() == 8 && v.startsWith("HTTP/") && Character.isDigit(v.charAt(5)) && v.charAt(6) == '.'
                && Character.isDigit(v.charAt(7)) && v.charAt(5) == '1';
    }

    private static String trimOws(String s) {
        int b = 0;
        int e = s.length();
        while (b < e && (s.charAt(b) == ' ' || s.charAt(b) == '\t')) {
            b++;
        }
        while (e > b && (s.charAt(e - 1) == ' ' || s.charAt(e - 1) == '\t')) {
            e--;
        }
        return s.substring(b, e);
    }

    static LegacyProtocolException fail(LegacyProtocolException.Kind kind, int id, String message) {
        return new LegacyProtocolException(kind, id, message);
    }
}
