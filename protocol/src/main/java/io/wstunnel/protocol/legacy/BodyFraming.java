package io.wstunnel.protocol.legacy;

import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.legacy.LegacyMessageParser.Framing;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How the body after a parsed head is delimited. {@code length} is the Content-Length for
 * {@link Framing#LENGTH} and 0 otherwise.
 */
record BodyFraming(Framing framing, long length) {
    private static final BodyFraming NONE = new BodyFraming(Framing.NONE, 0);
    private static final BodyFraming CHUNKED = new BodyFraming(Framing.CHUNKED, 0);
    private static final BodyFraming TO_END = new BodyFraming(Framing.TO_END_OF_MESSAGE, 0);

    /** A request without Transfer-Encoding or Content-Length has no body. */
    static BodyFraming ofRequest(Headers headers, int id) {
        if (isChunked(headers, id)) {
            return CHUNKED;
        }
        long length = contentLength(headers, id);
        return length < 0 ? NONE : new BodyFraming(Framing.LENGTH, length);
    }

    /**
     * A response to HEAD ({@code bodyless}), 1xx, 204 or 304 has no body; one without
     * Transfer-Encoding or Content-Length runs to the end of the WebSocket message.
     */
    static BodyFraming ofResponse(int status, Headers headers, boolean bodyless, int id) {
        if (bodyless || status / 100 == 1 || status == 204 || status == 304) {
            return NONE;
        }
        if (isChunked(headers, id)) {
            return CHUNKED;
        }
        long length = contentLength(headers, id);
        return length < 0 ? TO_END : new BodyFraming(Framing.LENGTH, length);
    }

    /** True if chunked is the last coding; any other non-identity coding is rejected. */
    private static boolean isChunked(Headers headers, int id) {
        List<String> te = headers.all("Transfer-Encoding");
        if (te.isEmpty()) {
            return false;
        }
        List<String> codings = new ArrayList<>();
        for (String v : te) {
            for (String c : v.split(",")) {
                String t = c.trim().toLowerCase(Locale.ROOT);
                if (!t.isEmpty()) {
                    codings.add(t);
                }
            }
        }
        if (codings.isEmpty() || codings.equals(List.of("identity"))) {
            return false;
        }
        if (!codings.get(codings.size() - 1).equals("chunked") || codings.indexOf("chunked") != codings.size() - 1) {
            throw Http1Syntax.fail(LegacyProtocolException.Kind.MALFORMED_BODY, id, "unsupported Transfer-Encoding " + te);
        }
        return true;
    }

    /** @return the one Content-Length all values agree on, or -1 when there is none */
    private static long contentLength(Headers headers, int id) {
        List<String> values = headers.all("Content-Length");
        if (values.isEmpty()) {
            return -1;
        }
        long length = -1;
        for (String v : values) {
            for (String part : v.split(",")) {
                String t = part.trim();
                if (t.isEmpty() || t.length() > 18 || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw Http1Syntax.fail(LegacyProtocolException.Kind.MALFORMED_BODY, id, "bad Content-Length '" + v + "'");
                }
                long n = Long.parseLong(t);
                if (length >= 0 && n != length) {
                    throw Http1Syntax.fail(LegacyProtocolException.Kind.MALFORMED_BODY, id, "conflicting Content-Length values");
                }
                length = n;
            }
        }
        return length;
    }
}
