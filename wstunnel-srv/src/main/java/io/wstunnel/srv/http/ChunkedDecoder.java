package io.wstunnel.srv.http;

import io.wstunnel.protocol.HttpTokens;
import java.nio.ByteBuffer;

/**
 * Strict decoder of one HTTP/1.1 chunked request body (RFC 9112 §7.1). Pure: no I/O; raw bytes in,
 * body bytes out. Owner: the thread reading the body.
 *
 * <p>It refuses, with {@link MalformedBodyException}, everything two parsers might frame differently:
 * a chunk size that is missing, not hex or beyond 2^63-1; white space not followed by an extension;
 * any line end other than CRLF (a bare LF or a CR alone); control bytes in an extension; chunk data
 * longer than its size; and in the trailer section obs-fold, invalid names and control bytes. A chunk
 * line longer than {@link #MAX_LINE} or a trailer section over its limit is refused too, so memory
 * and work per body are bounded. Trailer fields are checked and then dropped (they are not forwarded).
 */
final class ChunkedDecoder {
    /** Longest chunk-size line, extensions included. */
    static final int MAX_LINE = 4096;

    private enum State {
        SIZE, SIZE_BWS, EXT, SIZE_LF, DATA, DATA_CR, DATA_LF,
        TRAILER_START, TRAILER_NAME, TRAILER_VALUE, TRAILER_LF, END_LF, DONE
    }

    private final int maxTrailerBytes;
    private State state = State.SIZE;
    private long size;
    private int digits;
    private int lineBytes;
    private int trailerBytes;
    private long remaining;

    /** @param maxTrailerBytes limit on the whole trailer section, its final CRLF included */
    ChunkedDecoder(int maxTrailerBytes) {
        this.maxTrailerBytes = maxTrailerBytes;
    }

    /**
     * Consumes framing bytes from {@code src} and copies body bytes to {@code dst}, until {@code src} is
     * empty, {@code dst} is full while body bytes are next, or the body has ended. Bytes after the end
     * of the body stay in {@code src}.
     *
     * @return body bytes written to {@code dst}
     */
    int decode(ByteBuffer src, ByteBuffer dst) throws MalformedBodyException {
        int written = 0;
        while (src.hasRemaining() && state != State.DONE) {
            if (state == State.DATA) {
                if (!dst.hasRemaining()) {
                    break;
                }
                int n = (int) Math.min(remaining, Math.min(src.remaining(), dst.remaining()));
                int limit = src.limit();
                src.limit(src.position() + n);
                dst.put(src);
                src.limit(limit);
                dataConsumed(n);
                written += n;
            } else {
                framing(src.get());
            }
        }
        return written;
    }

    /** Body bytes still due in the current chunk; 0 unless the next raw bytes are chunk data. */
    long dataRemaining() {
        return state == State.DATA ? remaining : 0;
    }

    /** Records {@code n} body bytes read by the caller straight into its buffer (n ≤ {@link #dataRemaining}). */
    void dataConsumed(int n) {
        if (n > remaining || state != State.DATA) {
            throw new IllegalStateException("consumed " + n + " of " + remaining + " in " + state);
        }
        remaining -= n;
        if (remaining == 0) {
            state = State.DATA_CR;
        }
    }

    /** True once the last chunk and the trailer section have been read. */
    boolean isDone() {
        return state == State.DONE;
    }

    private void framing(byte b) throws MalformedBodyException {
        switch (state) {
            case SIZE -> size(b);
            case SIZE_BWS -> {
                line();
                if (b == ';') {
                    state = State.EXT;
                } else if (b != ' ' && b != '\t') {
                    throw bad("white space after the chunk size is not followed by an extension");
                }
            }
            case EXT -> {
                line();
                if (b == '\r') {
                    state = State.SIZE_LF;
                } else if (isControl(b)) {
                    throw bad("control character in a chunk extension");
                }
            }
            case SIZE_LF -> {
                expect(b, '\n', "chunk-size line not ended by CRLF");
                if (size == 0) {
                    state = State.TRAILER_START;
                } else {
                    remaining = size;
                    state = State.DATA;
                }
            }
            case DATA_CR -> {
                expect(b, '\r', "chunk data longer than its chunk size");
                state = State.DATA_LF;
            }
            case DATA_LF -> {
                expect(b, '\n', "chunk data not followed by CRLF");
                state = State.SIZE;
                size = 0;
                digits = 0;
                lineBytes = 0;
            }
            case TRAILER_START -> {
                trailer();
                if (b == '\r') {
                    state = State.END_LF;
                } else if (b == ' ' || b == '\t') {
                    throw bad("obsolete line folding in the trailer section");
                } else if (HttpTokens.isTokenChar(b)) {
                    state = State.TRAILER_NAME;
                } else {
                    throw bad("invalid trailer field name");
                }
            }
            case TRAILER_NAME -> {
                trailer();
                if (b == ':') {
                    state = State.TRAILER_VALUE;
                } else if (!HttpTokens.isTokenChar(b)) {
                    throw bad("invalid trailer field name");
                }
            }
            case TRAILER_VALUE -> {
                trailer();
                if (b == '\r') {
                    state = State.TRAILER_LF;
                } else if (isControl(b)) {
                    throw bad("control character in a trailer field");
                }
            }
            case TRAILER_LF -> {
                trailer();
                expect(b, '\n', "trailer line not ended by CRLF");
                state = State.TRAILER_START;
            }
            case END_LF -> {
                trailer();
                expect(b, '\n', "chunked body not ended by CRLF");
                state = State.DONE;
            }
            default -> throw new IllegalStateException(state.name());
        }
    }

    private void size(byte b) throws MalformedBodyException {
        line();
        int d = Character.digit(b, 16);
        if (d >= 0) {
            if (size > (Long.MAX_VALUE >> 4)) {
                throw bad("chunk size too large");
            }
            size = (size << 4) | d;
            digits++;
            return;
        }
        if (digits == 0) {
            throw bad(b == '\r' || b == '\n' ? "missing chunk size" : "invalid chunk size");
        }
        switch (b) {
            case '\r' -> state = State.SIZE_LF;
            case ';' -> state = State.EXT;
            case ' ', '\t' -> state = State.SIZE_BWS;
            default -> throw bad("invalid chunk size");
        }
    }

    private void line() throws MalformedBodyException {
        if (++lineBytes > MAX_LINE) {
            throw bad("chunk-size line longer than " + MAX_LINE + " bytes");
        }
    }

    private void trailer() throws MalformedBodyException {
        if (++trailerBytes > maxTrailerBytes) {
            throw bad("trailer section larger than " + maxTrailerBytes + " bytes");
        }
    }

    private static void expect(byte b, char wanted, String reason) throws MalformedBodyException {
        if (b != wanted) {
            throw bad(reason);
        }
    }

    /** CTL per RFC 9110 §5.5: 0x00-0x1F except HTAB, and DEL. Bytes ≥ 0x80 (obs-text) are allowed. */
    private static boolean isControl(byte b) {
        return (b >= 0 && b < 0x20 && b != '\t') || b == 0x7f;
    }

    private static MalformedBodyException bad(String reason) {
        return new MalformedBodyException("Malformed chunked request body: " + reason);
    }
}
