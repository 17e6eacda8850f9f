package io.wstunnel.srv.http;

import java.nio.ByteBuffer;

/**
 * Watches the raw bytes of one HTTP/1.1 request head for obs-fold: a line inside the head that starts
 * with a space or tab (RFC 9112 §5.2), which also covers white space between the request line and the
 * first field (§2.2). Undertow's parser silently joins such a line to the one before, so the fold must
 * be seen before parsing. Likewise it notes a request line ending in {@code HTTP/<d>.<d>} with a major
 * version other than 1, which the parser silently takes for HTTP/1.1. Pure: it never changes a byte; it
 * only finds where the head ends.
 *
 * <p>Owner: whichever thread currently reads the connection (Undertow hands a connection from thread
 * to thread with a happens-before edge).
 */
final class HeadScanner {
    private enum State {
        /** Before the request line; empty lines there are skipped (RFC 9112 §2.2). */
        START,
        LINE,
        CR,
        /** At the first byte of a field line, or of the empty line that ends the head. */
        LINE_START,
        END_CR,
        /** Not in a head: a body, the time between requests, or an upgraded connection. */
        PASS
    }

    private static final long HTTP_SLASH = 0x485454502FL; // "HTTP/"

    private State state = State.START;
    private boolean folded;
    private boolean otherMajorVersion;
    /** While in the request line: its last 8 bytes so far, the latest in the low byte. */
    private long requestLineTail;
    private boolean inRequestLine;

    /** The next bytes begin a request head. */
    void expectHead() {
        state = State.START;
        folded = false;
        otherMajorVersion = false;
    }

    /** The connection no longer carries HTTP/1 heads (upgraded): stop looking. */
    void stop() {
        state = State.PASS;
    }

    boolean scanning() {
        return state != State.PASS;
    }

    /** @return whether the head scanned last had a folded line; clears the mark */
    boolean takeFolded() {
        boolean f = folded;
        folded = false;
        return f;
    }

    /** @return whether the head scanned last named HTTP/<d>.<d> with a major version other than 1; clears the mark */
    boolean takeOtherMajorVersion() {
        boolean v = otherMajorVersion;
        otherMajorVersion = false;
        return v;
    }

    /** The request line ended: does it end in {@code HTTP/<d>.<d>} with another major version than 1? */
    private void endRequestLine() {
        inRequestLine = false;
        long t = requestLineTail;
        int major = (int) (t >>> 16) & 0xff;
        otherMajorVersion = ((t >>> 24) & 0xff_ffff_ffffL) == HTTP_SLASH && ((t >>> 8) & 0xff) == '.'
                && major >= '0' && major <= '9' && major != '1' && (t & 0xff) >= '0' && (t & 0xff) <= '9';
    }

    /**
     * Scans {@code buf[from, to)} (absolute indexes; position and limit untouched) while in a head.
     *
     * @return the index just after the head's final line end, or -1 if no head ends in the range
     */
    int scan(ByteBuffer buf, int from, int to) {
        for (int i = from; i < to && state != State.PASS; i++) {
            byte b = buf.get(i);
            switch (state) {
                case START -> {
                    if (b != '\r' && b != '\n') {
                        state = State.LINE;
                        inRequestLine = true;
                        requestLineTail = b & 0xff;
                    }
                }
                case LINE -> {
                    state = b == '\r' ? State.CR : b == '\n' ? State.LINE_START : State.LINE;
                    if (inRequestLine) {
                        if (state == State.LINE) {
                            requestLineTail = requestLineTail << 8 | (b & 0xff);
                        } else {
                            endRequestLine();
                        }
                    }
                }
                case CR -> state = b == '\n' ? State.LINE_START : b == '\r' ? State.CR : State.LINE;
                case LINE_START -> {
                    if (b == '\r') {
                        state = State.END_CR;
                    } else if (b == '\n') {
                        state = State.PASS;
                        return i + 1;
                    } else {
                        folded |= b == ' ' || b == '\t';
                        state = State.LINE;
                    }
                }
                case END_CR -> {
                    if (b == '\n') {
                        state = State.PASS;
                        return i + 1;
                    }
                    state = b == '\r' ? State.CR : State.LINE;
                }
                default -> throw new IllegalStateException(state.name());
            }
        }
        return -1;
    }
}
