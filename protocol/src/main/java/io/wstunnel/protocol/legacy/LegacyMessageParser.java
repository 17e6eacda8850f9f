package io.wstunnel.protocol.legacy;

import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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

    private enum State { ID, HEAD, LENGTH_BODY, CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, TRAILERS, EOF_BODY, DONE, FAILED }

    public static final int DEFAULT_MAX_HEAD_SIZE = 64 * 1024;
    private static final int MAX_CHUNK_LINE = 4096;

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
    private long bodyBytes;
    private int trailerBytes;

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
        this.line = new LineBuffer(Math.max(maxHeadSize, MAX_CHUNK_LINE));
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
                    case CHUNK_SIZE:
                        readChunkSize(data);
                        break;
                    case CHUNK_DATA:
                        readChunkData(data);
                        break;
                    case CHUNK_DATA_END:
                        readChunkDataEnd(data);
                        break;
                    case TRAILERS:
                        readTrailers(data);
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
        Headers headers = parseHeaders(headLines.subList(1, headLines.size()));
        if (kind == Kind.REQUEST) {
            int sp1 = first.indexOf(' ');
            int sp2 = first.lastIndexOf(' ');
            if (sp1 <= 0 || sp2 <= sp1 + 1) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, "bad request line");
            }
            String method = first.substring(0, sp1);
            String target = first.substring(sp1 + 1, sp2);
            String version = first.substring(sp2 + 1);
            if (!isToken(method) || target.indexOf(' ') >= 0 || !isVersion(version)) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, "bad request line");
            }
            String host = headers.first("Host");
            RequestHead head = new RequestHead(method, target, host == null ? "" : host, "http",
                    headers.without(List.of("Host")));
            framing = requestFraming(headers);
            listener.onRequestHead(id, head, version);
        } else {
            if (first.length() < 12 || !isVersion(first.substring(0, 8)) || first.charAt(8) != ' ') {
                throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, "bad status line");
            }
            String code = first.substring(9, 12);
            if (!code.chars().allMatch(c -> c >= '0' && c <= '9') || code.charAt(0) == '0'
                    || (first.length() > 12 && first.charAt(12) != ' ')) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, "bad status code");
            }
            int status = Integer.parseInt(code);
            String reason = first.length() > 13 ? first.substring(13).trim() : "";
            ResponseHead head = new ResponseHead(status, reason, headers);
            framing = responseFraming(status, headers);
            listener.onResponseHead(id, head, first.substring(0, 8));
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
                state = State.CHUNK_SIZE;
                break;
            default:
                state = State.EOF_BODY;
                break;
        }
    }

    private Framing requestFraming(Headers headers) {
        if (isChunked(headers)) {
            return Framing.CHUNKED;
        }
        long length = contentLength(headers);
        if (length < 0) {
            return Framing.NONE;
        }
        remaining = length;
        return Framing.LENGTH;
    }

    private Framing responseFraming(int status, Headers headers) {
        if (bodylessResponse.test(id) || status / 100 == 1 || status == 204 || status == 304) {
            return Framing.NONE;
        }
        if (isChunked(headers)) {
            return Framing.CHUNKED;
        }
        long length = contentLength(headers);
        if (length < 0) {
            return Framing.TO_END_OF_MESSAGE;
        }
        remaining = length;
        return Framing.LENGTH;
    }

    private boolean isChunked(Headers headers) {
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
            throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, "unsupported Transfer-Encoding " + te);
        }
        return true;
    }

    private long contentLength(Headers headers) {
        List<String> values = headers.all("Content-Length");
        if (values.isEmpty()) {
            return -1;
        }
        long length = -1;
        for (String v : values) {
            for (String part : v.split(",")) {
                String t = part.trim();
                if (t.isEmpty() || t.length() > 18 || !t.chars().allMatch(c -> c >= '0' && c <= '9')) {
                    throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, "bad Content-Length '" + v + "'");
                }
                long n = Long.parseLong(t);
                if (length >= 0 && n != length) {
                    throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, "conflicting Content-Length values");
                }
                length = n;
            }
        }
        return length;
    }

    private Headers parseHeaders(List<String> lines) {
        List<Header> out = new ArrayList<>(lines.size());
        for (String l : lines) {
            char c0 = l.charAt(0);
            if (c0 == ' ' || c0 == '\t') {
                if (out.isEmpty()) {
                    throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, "continuation line before any header");
                }
                Header prev = out.remove(out.size() - 1);
                out.add(new Header(prev.name(), (prev.value() + " " + trimOws(l)).trim()));
                continue;
            }
            int colon = l.indexOf(':');
            if (colon <= 0) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, "header line without a name and ':'");
            }
            String name = l.substring(0, colon);
            if (!isToken(name)) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_HEAD, "bad header name");
            }
            out.add(new Header(name, trimOws(l.substring(colon + 1))));
        }
        return new Headers(out);
    }

    private void readLength(ByteBuffer data) {
        int n = (int) Math.min(remaining, data.remaining());
        emit(data, n);
        remaining -= n;
        if (remaining == 0) {
            finish();
        }
    }

    private void readChunkSize(ByteBuffer data) {
        String l = line.take(data, MAX_CHUNK_LINE);
        if (l == null) {
            if (line.size() > MAX_CHUNK_LINE) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, "chunk-size line too long");
            }
            return;
        }
        int semi = l.indexOf(';');
        String hex = (semi >= 0 ? l.substring(0, semi) : l).trim();
        if (hex.isEmpty() || hex.length() > 15) {
            throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, "bad chunk size");
        }
        long size = 0;
        for (int i = 0; i < hex.length(); i++) {
            int v = LegacyIds.hexDigit(hex.charAt(i));
            if (v < 0) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, "bad chunk size");
            }
            size = size << 4 | v;
        }
        if (size == 0) {
            state = State.TRAILERS;
            trailerBytes = 0;
        } else {
            remaining = size;
            state = State.CHUNK_DATA;
        }
    }

    private void readChunkData(ByteBuffer data) {
        int n = (int) Math.min(remaining, data.remaining());
        emit(data, n);
        remaining -= n;
        if (remaining == 0) {
            state = State.CHUNK_DATA_END;
        }
    }

    private void readChunkDataEnd(ByteBuffer data) {
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
        state = State.CHUNK_SIZE;
    }

    private void readTrailers(ByteBuffer data) {
        while (data.hasRemaining()) {
            String l = line.take(data, maxHeadSize - trailerBytes);
            if (l == null) {
                if (trailerBytes + line.size() > maxHeadSize) {
                    throw fail(LegacyProtocolException.Kind.HEAD_TOO_LARGE, "trailers larger than " + maxHeadSize + " bytes");
                }
                return;
            }
            trailerBytes += line.lastRawLength();
            if (l.isEmpty()) {
                finish();
                return;
            }
            if (l.indexOf(':') <= 0) {
                throw fail(LegacyProtocolException.Kind.MALFORMED_BODY, "bad trailer line");
            }
            // Trailers are dropped: the server removes Trailer(s) from responses anyway.
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
        return new LegacyProtocolException(k, id, message);
    }

    // ------------------------------------------------------------------ helpers

    static boolean isVersion(String v) {
        return v.length() == 8 && v.startsWith("HTTP/") && Character.isDigit(v.charAt(5)) && v.charAt(6) == '.'
                && Character.isDigit(v.charAt(7)) && v.charAt(5) == '1';
    }

    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
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

    /** Collects one line across fed buffers; lines end with LF, an optional CR before it is dropped. */
    private static final class LineBuffer {
        private byte[] buf = new byte[256];
        private int size;
        private int lastRaw;
        private final int hardCap;

        LineBuffer(int hardCap) {
            this.hardCap = hardCap;
        }

        int size() {
            return size;
        }

        int lastRawLength() {
            return lastRaw;
        }

        /**
         * @param cap most bytes the line (with its CRLF) may have; beyond it, returns null with
         *            {@link #size()} over the cap so the caller can fail
         * @return the completed line (ISO-8859-1, without CR LF), or null if more data is needed
         */
        String take(ByteBuffer data, int cap) {
            while (data.hasRemaining()) {
                byte b = data.get();
                if (b == '\n') {
                    int end = size > 0 && buf[size - 1] == '\r' ? size - 1 : size;
                    String s = new String(buf, 0, end, StandardCharsets.ISO_8859_1);
                    lastRaw = size + 1;
                    size = 0;
                    return s;
                }
                if (size >= cap || size >= hardCap) {
                    size++;
                    return null;
                }
                if (size == buf.length) {
                    byte[] n = new byte[Math.min(hardCap, buf.length * 2)];
                    System.arraycopy(buf, 0, n, 0, size);
                    buf = n;
                }
                buf[size++] = b;
            }
            return null;
        }
    }
}
