package io.wstunnel.protocol.legacy;

import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * Serializes legacy messages the way the Go wstunnel writes them ({@code http.Request.Write}):
 * id, request line, {@code Host}, {@code User-Agent}, the body-framing header, then the other
 * headers sorted by canonical name (repeated names keep their order). The head is written first;
 * body bytes follow either as they are (Content-Length) or through {@link #chunk} and
 * {@link #lastChunk()} (chunked), so a body can be streamed into the same WebSocket message.
 */
public final class LegacyWriter {
    /** The Go agent refuses WebSocket messages larger than this (close code 1009). */
    public static final long MAX_MESSAGE_SIZE = 100L * 1024 * 1024;
    /** What Go's client inserts when the caller sent no User-Agent. */
    public static final String DEFAULT_USER_AGENT = "Go-http-client/1.1";

    private static final Set<String> FRAMING = Set.of("host", "user-agent", "content-length", "transfer-encoding");
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** How a request body travels inside the message. */
    public enum BodyFraming { NONE, LENGTH, CHUNKED }

    private LegacyWriter() {
    }

    /**
     * The head of a request message.
     *
     * @param contentLength the body length with {@link BodyFraming#LENGTH}, ignored otherwise
     */
    public static ByteBuffer requestHead(int id, RequestHead head, BodyFraming framing, long contentLength) {
        Out out = new Out();
        out.write(LegacyIds.bytes(id));
        out.line(head.method() + " " + head.target() + " HTTP/1.1");
        out.header("Host", head.authority());
        String ua = head.headers().first("User-Agent");
        out.header("User-Agent", ua == null ? DEFAULT_USER_AGENT : ua);
        switch (framing) {
            case LENGTH:
                out.header("Content-Length", Long.toString(contentLength));
                break;
            case CHUNKED:
                out.header("Transfer-Encoding", "chunked");
                break;
            default:
                if (needsZeroLength(head.method())) {
                    out.header("Content-Length", "0"); // as Go does for an empty POST/PUT/PATCH
                }
                break;
        }
        for (Header h : sorted(head.headers().without(FRAMING))) {
            out.header(canonical(h.name()), h.value());
        }
        out.write(CRLF);
        return out.buffer();
    }

    /**
     * The head of a response message (agent side). The headers are written as given, sorted like
     * Go's {@code Header.Write}; the caller chooses the framing headers.
     */
    public static ByteBuffer responseHead(int id, ResponseHead head) {
        Out out = new Out();
        out.write(LegacyIds.bytes(id));
        out.line("HTTP/1.1 " + head.status() + (head.reason().isEmpty() ? "" : " " + head.reason()));
        for (Header h : sorted(head.headers())) {
            out.header(canonical(h.name()), h.value());
        }
        out.write(CRLF);
        return out.buffer();
    }

    /** One chunk of a chunked body: {@code size-hex CRLF data CRLF}. Empty data gives an empty buffer. */
    public static ByteBuffer chunk(ByteBuffer data) {
        int n = data.remaining();
        if (n == 0) {
            return ByteBuffer.allocate(0);
        }
        byte[] size = Integer.toHexString(n).getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(size.length + 2 + n + 2);
        b.put(size).put(CRLF).put(data.duplicate()).put(CRLF).flip();
        return b;
    }

    /** Bytes {@link #chunk} adds around {@code n} data bytes. */
    public static int chunkOverhead(int n) {
        return n == 0 ? 0 : Integer.toHexString(n).length() + 4;
    }

    /** The end of a chunked body (no trailers). */
    public static ByteBuffer lastChunk() {
        return ByteBuffer.wrap(LAST_CHUNK.clone());
    }

    private static boolean needsZeroLength(String method) {
        return method.equals("POST") || method.equals("PUT") || method.equals("PATCH");
    }

    private static List<Header> sorted(Headers headers) {
        List<Header> list = new ArrayList<>(headers.fields());
        list.sort(Comparator.comparing(h -> canonical(h.name()))); // stable: repeated names keep their order
        return list;
    }

    /** Go's {@code textproto.CanonicalMIMEHeaderKey}: "x-multi" becomes "X-Multi". */
    public static String canonical(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (!ok) {
                return name;
            }
        }
        StringBuilder sb = new StringBuilder(name.length());
        boolean upper = true;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            sb.append(upper ? Character.toUpperCase(c) : Character.toLowerCase(c));
            upper = c == '-';
        }
        return sb.toString();
    }

    private static final class Out extends ByteArrayOutputStream {
        Out() {
            super(256);
        }

        void line(String s) {
            write(latin1(s));
            write(CRLF);
        }

        void header(String name, String value) {
            write(latin1(name));
            write(':');
            write(' ');
            write(latin1(value.trim().replace('\r', ' ').replace('\n', ' ')));
            write(CRLF);
        }

        @Override
        public void write(byte[] b) {
            write(b, 0, b.length);
        }

        ByteBuffer buffer() {
            return ByteBuffer.wrap(buf, 0, count);
        }

        private static byte[] latin1(String s) {
            // Header bytes are ISO-8859-1 (obs-text passes unchanged); anything beyond becomes UTF-8.
            for (int i = 0; i < s.length(); i++) {
                if (s.charAt(i) > 0xff) {
                    return s.getBytes(StandardCharsets.UTF_8);
                }
            }
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }
    }
}
