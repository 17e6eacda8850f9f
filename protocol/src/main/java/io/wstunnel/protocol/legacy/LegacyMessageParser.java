package io.wstunnel.protocol.legacy;

import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Push-style parser of ONE legacy message: 4 hex digits of request id, then one HTTP/1.x request
 * or response. Feed it the fragments of a WebSocket message as they arrive ({@link #feed}), then
 * call {@link #endOfMessage()} when the message's last fragment has been fed.
 *
 * <p>Memory is bounded: only the head (capped by {@code maxHeadSize}) and one chunk-size or trailer
 * line are ever copied; body bytes are handed to the listener as slices of the fed buffers. Bytes
 * after the end of a framed HTTP message are ignored, as the Go implementation does.
 *
 * <p>Not thread-safe: one owner feeds it. Every failure is a {@link LegacyProtocolException}, after
 * which the parser is dead (further calls throw again).
 */
public final class LegacyMessageParser {
    /** Which side's messages this parser reads. */
    public enum Kind { REQUEST, RESPONSE }

    /** Receives the parts of the message, in order: id, head, body chunks, end. */
    public interface Listener {
        /** The request id was read. */
        default void onId(int id) {
        }

        /** A request head ({@link Kind#REQUEST}); {@code version} is e.g. "HTTP/1.1". */
        default void onRequestHead(int id, RequestHead head, String version) {
        }

        /** A response head ({@link Kind#RESPONSE}). */
        default void onResponseHead(int id, ResponseHead head, String version) {
        }

        /**
         * Body bytes, de-chunked. The buffer is a read-only view of the fed data, valid only during
         * the call: copy what must be kept.
         */
        void onBody(ByteBuffer chunk);

        /** The HTTP message is complete. */
        void onEnd();
    }

    /** How the body of the current message is delimited. */
    public enum Framing { NONE, LENGTH, CHUNKED, TO_END_OF_MESSAGE }

    private enum State { ID, HEAD, LENGTH_BODY, CHUNKED_BODY, EOF_BODY, DONE, FAILED }

    public static final int DEFAULT_MAX_HEAD_SIZE = 64 * 1024;

    private final Kind kind;
    private final int maxHeadSize;
    private final IntPredicate bodylessResponse;
    private final Listener listener;

    private State state = State.ID;
    private int id = -1;
    private int idValue;
    private int idDigits;
    private final LineBuffer line;
    private final List<String> headLines = new ArrayList<>();
    private int headBytes;
    private Framing framing;
    private long remaining;
    private ChunkedBody chunked; // set when a CHUNKED head completes
    private long bodyBytes;

    /**
     * @param kind             requests (agent side) or responses (server side)
     * @param maxHeadSize      cap on the head, status/request line and header lines included
     * @param bodylessResponse for responses: true if the request of that id was HEAD, so its
     *                         response has no body whatever its headers say; may be null
     * @param listener         receives the parsed parts
     */
    public LegacyMessageParser(Kind kind, int maxHeadSize, IntPredicate bodylessResponse, Listener listener) {
        this.kind = kind;
        this.maxHeadSize = maxHeadSize;
        this.bodylessResponse = bodylessResponse == null ? i -> false : bodylessResponse;
        this.listener = listener;
        this.line = new LineBuffer(Math.max(maxHeadSize, ChunkedBody.MAX_CHUNK_LINE));
    }

    /** The id read so far, or -1. */
    public int id() {
        return id;
    }

    /** True once the HTTP message is complete. */
    public boolean isDone() {
        return state == State.DONE;
    }

    /** The framing of the body, known once the head is parsed (else null). */
    public Framing framing() {
        return framing;
    }

    /** De-chunked body bytes delivered so far. */
    public long bodyBytes() {
        return bodyBytes;
    }

    /** Consumes all of {@code data} (its position moves to its limit). */
    public void feed(ByteBuffer data) {
        try {
            while (data.hasRemaining()) {
                switch (state) {
                    case ID:
                        readId(data);
                        break;
                    case HEAD:
                        readHead(data);
                        break;
                    case LENGTH_BODY:
                        readLength(data);
                        break;
                    case CHUNKED_BODY:
                        if (chunked.read(data)) {
                            finish();
                        }
                        break;
                    case EOF_BODY:
                        emit(data, data.remaining());
                        break;
                    case DONE:
                        data.position(data.limit()); // trailing bytes after a framed message are ignored
                        break;
                    default:
                        throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, "parser already failed");
                }
            }
        } catch (LegacyProtocolException e) {
            state = State.FAILED;
            throw e;
        } catch (RuntimeException e) {
            state = State.FAILED;
            throw new LegacyProtocolException(LegacyProtocolException.Kind.MALFORMED_HEAD, id, "unparseable message: " + e);
        }
    }

    /** The WebSocket message has ended: completes an unframed body, or fails if the message is short. */
    public void endOfMessage() {
        if (state == State.EOF_BODY) {
            state = State.DONE;
            listener.onEnd();
            return;
        }
        if (state == State.DONE) {
            return;
        }
        State was = state;
        state = State.FAILED;
        if (was == State.ID) {
            throw new LegacyProtocolException(LegacyProtocolException.Kind.BAD_ID, -1, "message shorter than its 4-digit id");
        }
        if (was == State.FAILED) {
            throw new LegacyProtocolException(LegacyProtocolException.Kind.MALFORMED_HEAD, id, "parser already failed");
        }
        throw new LegacyProtocolException(LegacyProtocolException.Kind.TRUNCATED, id,
                "message ended " + (was == State.HEAD ? "inside the head" : "before the end of the body"));
    }

    // ------------------------------------------------------------------ states

    private void readId(ByteBuffer data) {
        while (data.hasRemaining() && idDigits < LegacyIds.LENGTH) {
            int b = data.get() & 0xff;
            int v = LegacyIds.hexDigit(b);
            if (v < 0) {
                throw new LegacyProtocolException(LegacyProtocolException.Kind.BAD_ID, -1, "request id is not 4 hex digits");
            }
            idValue = idValue << 4 | v;
            idDigits++;
        }
        if (idDigits == LegacyIds.LENGTH) {
            id = idValue;
            state = State.HEAD;
            listener.onId(id);
        }
    }

    private void readHead(ByteBuffer data) {
        while (data.hasRemaining()) {
            String l = line.take(data, maxHeadSize - headBytes);
            if (l == null) {
                if (headBytes + line.size() > maxHeadSize) {
                    throw fail(LegacyProtocolException.Kind.HEAD_TOO_LARGE, "head larger than " + maxHeadSize + " bytes");
                }
                return;
            }
            headBytes += line.lastRawLength();
            if (l.isEmpty()) {
                if (headLines.isEmpty()) {
                    throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, "empty first line");
                }
                headComplete();
                return;
            }
            headLines.add(l);
        }
    }

    private void headComplete() {
        String first = headLines.get(0);
        Headers headers = Http1Syntax.headers(headLines.subList(1, headLines.size()), id);
        if (kind == Kind.REQUEST) {
            Http1Syntax.RequestLine rl = Http1Syntax.requestLine(first, id);
            String host = headers.first("Host");
            RequestHead head = new RequestHead(rl.method(), rl.target(), host == null ? "" : host, "http",
                    headers.without(List.of("Host")));
            bodyFramed(BodyFraming.ofRequest(headers, id));
            listener.onRequestHead(id, head, rl.version());
        } else {
            Http1Syntax.StatusLine sl = Http1Syntax.statusLine(first, id);
            ResponseHead head = new ResponseHead(sl.status(), sl.reason(), headers);
            bodyFramed(BodyFraming.ofResponse(sl.status(), headers, bodylessResponse.test(id), id));
            listener.onResponseHead(id, head, sl.version());
        }
        headLines.clear();
        switch (framing) {
            case NONE:
                finish();
                break;
            case LENGTH:
                if (remaining == 0) {
                    finish();
                } else {
                    state = State.LENGTH_BODY;
                }
                break;
            case CHUNKED:
                chunked = new ChunkedBody(line, maxHeadSize, id, this::emit);
                state = State.CHUNKED_BODY;
                break;
            default:
                state = State.EOF_BODY;
                break;
        }
    }

    /** Set before the head reaches the listener, which may ask for {@link #framing()}. */
    private void bodyFramed(BodyFraming body) {
        framing = body.framing();
        remaining = body.length();
    }

    private void readLength(ByteBuffer data) {
        int n = (int) Math.min(remaining, data.remaining());
        emit(data, n);
        remaining -= n;
        if (remaining == 0) {
            finish();
        }
    }

    private void emit(ByteBuffer data, int n) {
        if (n == 0) {
            return;
        }
        ByteBuffer slice = data.slice();
        slice.limit(n);
        data.position(data.position() + n);
        bodyBytes += n;
        listener.onBody(slice.asReadOnlyBuffer());
    }

    private void finish() {
        state = State.DONE;
        listener.onEnd();
    }

    private LegacyProtocolException fail(LegacyProtocolException.Kind k, String message) {
        return Http1Syntax.fail(k, id, message);
    }
}
