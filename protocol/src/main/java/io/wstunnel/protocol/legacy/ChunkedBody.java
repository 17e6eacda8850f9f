package io.wstunnel.protocol.legacy;

import java.nio.ByteBuffer;

/**
 * De-chunks one chunked body: chunk-size lines, chunk data, the CRLF after each chunk's data, then
 * the trailers up to their empty line. Data bytes go to the sink as slices of the fed buffers;
 * only one chunk-size or trailer line is ever copied. Trailers are checked and dropped.
 *
 * <p>Not thread-safe: owned by one {@link LegacyMessageParser}, which stops feeding it once it
 * throws or completes.
 */
final class ChunkedBody {
    /** Cap on a chunk-size line, extensions included. */
    static final int MAX_CHUNK_LINE = 4096;

    /** Hands on the {@code n} bytes at the position of {@code data} and moves its position past them. */
    @FunctionalInterface
    interface Sink {
        void emit(ByteBuffer data, int n);
    }

    private enum State { SIZE, DATA, DATA_END, TRAILERS, DONE }

    private final LineBuffer line;
    private final int maxTrailerSize;
    private final int id;
    private final Sink sink;

    private State state = State.SIZE;
    private long remaining;
    private int trailerBytes;

    /**
     * @param line           the parser's line buffer, empty and idle while this body is read
     * @param maxTrailerSize cap on the trailers, all lines with their CRLF
     * @param id             the message's request id, for failures
     */
    ChunkedBody(LineBuffer line, int maxTrailerSize, int id, Sink sink) {
        this.line = line;
        this.maxTrailerSize = maxTrailerSize;
        this.id = id;
        this.sink = sink;
    }

    /**
     * Consumes {@code data} until it is empty or the body ends; bytes after the end are left in it.
     *
     * @return true once the body, trailers included, is complete
     */
    boolean read(ByteBuffer data) {
        while (data.hasRemaining() && state != State.DONE) {
            switch (state) {
                case SIZE:
                    readSize(data);
                    break;
                case DATA:
                    readData(data);
                    break;
                case DATA_END:
                    readDataEnd(data);
                    break;
                default:
                    readTrailers(data);
                    break;
            }
        }
        return state == State.DONE;
    }

    private void readSize(ByteBuffer data) {
        String l = line.take(data, MAX_CHUNK_LINE);
        if (l == null) {
            if (line.size() > MAX_CHUNK_LINE) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, "chunk-size line too long");
            }
            return;
        }
        long size = Http1Syntax.chunkSize(l, id);
        if (size == 0) {
            state = State.TRAILERS;
        } else {
            remaining = size;
            state = State.DATA;
        }
    }

    private void readData(ByteBuffer data) {
        int n = (int) Math.min(remaining, data.remaining());
        sink.emit(data, n);
        remaining -= n;
        if (remaining == 0) {
            state = State.DATA_END;
        }
    }

    private void readDataEnd(ByteBuffer data) {
        String l = line.take(data, 2);
        if (l == null) {
            if (line.size() > 2) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, "chunk data longer than its size");
            }
            return;
        }
        if (!l.isEmpty()) {
            throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, "chunk data longer than its size");
        }
        state = State.SIZE;
    }

    private void readTrailers(ByteBuffer data) {
        while (data.hasRemaining()) {
            String l = line.take(data, maxTrailerSize - trailerBytes);
            if (l == null) {
                if (trailerBytes + line.size() > maxTrailerSize) {
                    throw fail(LegacyProtocolException.Kind.HEAD_TOO_LARGE,
                            "trailers larger than " + maxTrailerSize + " bytes");
                }
                return;
            }
            trailerBytes += line.lastRawLength();
            if (l.isEmpty()) {
                state = State.DONE;
                return;
            }
            if (l.indexOf(':') <= 0) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, "bad trailer line");
            }
            // Trailers are dropped: the server removes Trailer(s) from responses anyway.
        }
    }

    private LegacyProtocolException fail(LegacyProtocolException.Kind kind, String message) {
        return Http1Syntax.fail(kind, id, message);
    }
}
