package io.wstunnel.protocol;

import java.util.List;

/**
 * The body a head announces with {@code Content-Length}, counted as it arrives (PROTOCOL.md §3.2,
 * §3.3): exactly that many bytes, then {@code END_STREAM}. A receiver treats any other body as a
 * stream {@code PROTOCOL_ERROR}. Not thread-safe: the lock of the stream it belongs to guards it.
 */
public final class BodyLength {
    /** {@link #announced()} of a head without Content-Length: the body runs until END_STREAM. */
    public static final long UNKNOWN = -1;

    private final long announced;
    /** Non-null when the head's Content-Length cannot be parsed: the first {@link #receive} reports it. */
    private final String invalid;
    private long received;

    private BodyLength(long announced, String invalid) {
        this.announced = announced;
        this.invalid = invalid;
    }

    /** A body without a length to keep (the raw bytes of WEBSOCKET and TCP streams). */
    public static BodyLength unchecked() {
        return new BodyLength(UNKNOWN, null);
    }

    /** The body of a request (an OPEN of an HTTP stream): its Content-Length, if any. */
    public static BodyLength ofRequest(Headers headers) {
        return of(headers);
    }

    /**
     * The body of a response to {@code requestMethod}: none at all for HEAD, 1xx, 204 and 304,
     * whatever their Content-Length says (RFC 9110 §6.4.1); otherwise its Content-Length, if any.
     */
    public static BodyLength ofResponse(String requestMethod, int status, Headers headers) {
        if ("HEAD".equals(requestMethod) || status / 100 == 1 || status == 204 || status == 304) {
            return new BodyLength(0, null);
        }
        return of(headers);
    }

    /**
     * One value, or a list of equal values (RFC 9110 §8.6), of decimal digits: anything else is
     * invalid, as two fields that disagree are.
     */
    private static BodyLength of(Headers headers) {
        List<String> values = headers.all("Content-Length");
        long length = UNKNOWN;
        for (String v : values) {
            for (String part : v.split(",", -1)) {
                String t = part.trim();
                if (t.isEmpty() || t.length() > 18 || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    return new BodyLength(UNKNOWN, "invalid Content-Length '" + v + "'");
                }
                long n = Long.parseLong(t);
                if (length != UNKNOWN && n != length) {
                    return new BodyLength(UNKNOWN, "conflicting Content-Length values " + values);
                }
                length = n;
            }
        }
        return new BodyLength(length, null);
    }

    /** The announced length, or {@link #UNKNOWN}. */
    public long announced() {
        return announced;
    }

    /** Body bytes counted so far. */
    public long received() {
        return received;
    }

    /** The head's Content-Length cannot be parsed. */
    public boolean invalid() {
        return invalid != null;
    }

    /** Every announced byte has arrived: any further byte overruns the body. */
    public boolean complete() {
        return announced != UNKNOWN && received == announced;
    }

    /**
     * Counts {@code n} more body bytes, the last ones when {@code end}; call it with 0 for the head
     * itself (and its END_STREAM flag). Nothing is counted when it fails.
     *
     * @return null when the body is still as announced, else what is wrong with it
     */
    public String receive(long n, boolean end) {
        if (invalid != null) {
            return invalid;
        }
        if (announced == UNKNOWN) {
            received += n;
            return null;
        }
        if (n > announced - received) {
            return "body longer than its Content-Length " + announced;
        }
        if (end && received + n < announced) {
            return "body ended after " + (received + n) + " of the " + announced + " bytes its Content-Length announced";
        }
        received += n;
        return null;
    }
}
