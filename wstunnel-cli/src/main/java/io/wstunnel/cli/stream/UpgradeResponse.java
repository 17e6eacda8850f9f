package io.wstunnel.cli.stream;

import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.Headers;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads an HTTP/1.1 response head (and, for a non-101 answer, its small body) from a blocking input,
 * keeping the bytes read past the head: after a 101 they are the first WebSocket frames.
 */
final class UpgradeResponse {
    static final int MAX_HEAD = 64 * 1024;
    static final int MAX_BODY = 64 * 1024;

    final int status;
    final String reason;
    final Headers headers;
    /** Bytes after the head. */
    ByteBuffer rest;

    private UpgradeResponse(int status, String reason, Headers headers, ByteBuffer rest) {
        this.status = status;
        this.reason = reason;
        this.headers = headers;
        this.rest = rest;
    }

    static UpgradeResponse read(InputStream in) throws IOException {
        byte[] buf = new byte[8192];
        int len = 0;
        while (true) {
            int end = headEnd(buf, len);
            if (end >= 0) {
                UpgradeResponse r = parse(new String(buf, 0, end, StandardCharsets.ISO_8859_1));
                r.rest = ByteBuffer.wrap(java.util.Arrays.copyOfRange(buf, end + 4, len));
                return r;
            }
            if (len == buf.length) {
                if (len >= MAX_HEAD) {
                    throw new IOException("response head larger than " + MAX_HEAD + " bytes");
                }
                buf = java.util.Arrays.copyOf(buf, Math.min(MAX_HEAD, len * 2));
            }
            int n = in.read(buf, len, buf.length - len);
            if (n < 0) {
                throw new IOException("connection closed before the end of the response head");
            }
            len += n;
        }
    }

    private static int headEnd(byte[] b, int len) {
        for (int i = 0; i + 3 < len; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static UpgradeResponse parse(String head) throws IOException {
        String[] lines = head.split("\r\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/1.")) {
            throw new IOException("not an HTTP/1.x response: " + lines[0]);
        }
        int code;
        try {
            code = Integer.parseInt(status[1]);
        } catch (NumberFormatException e) {
            throw new IOException("bad status line: " + lines[0]);
        }
        if (code < 100 || code > 999) {
            throw new IOException("bad status: " + code);
        }
        List<Header> fields = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon <= 0) {
                continue;
            }
            fields.add(new Header(lines[i].substring(0, colon).trim(), lines[i].substring(colon + 1).trim()));
        }
        return new UpgradeResponse(code, status.length > 2 ? status[2] : "", new Headers(fields), null);
    }

    /**
     * Reads the body of a refusal (Content-Length, chunked, or up to the end of the connection), cut
     * at {@link #MAX_BODY} bytes.
     */
    byte[] readBody(InputStream in) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] first = new byte[rest.remaining()];
        rest.get(first);
        out.write(first);
        String te = headers.first("Transfer-Encoding");
        boolean chunked = te != null && te.toLowerCase(Locale.ROOT).contains("chunked");
        String cl = headers.first("Content-Length");
        long length = -1;
        if (!chunked && cl != null) {
            try {
                length = Long.parseLong(cl.trim());
            } catch (NumberFormatException e) {
                length = -1;
            }
        }
        byte[] buf = new byte[8192];
        while (out.size() < MAX_BODY && (length < 0 || out.size() < length)) {
            if (chunked && chunkedComplete(out.toByteArray())) {
                break;
            }
            int n = in.read(buf);
            if (n < 0) {
                break;
            }
            out.write(buf, 0, n);
        }
        byte[] body = out.toByteArray();
        if (chunked) {
            body = dechunk(body);
        }
        int cap = (int) Math.min(MAX_BODY, length >= 0 ? Math.min(length, body.length) : body.length);
        return body.length > cap ? java.util.Arrays.copyOf(body, cap) : body;
    }

    private static boolean chunkedComplete(byte[] b) {
        String s = new String(b, StandardCharsets.ISO_8859_1);
        return s.startsWith("0\r\n\r\n") || s.contains("\r\n0\r\n\r\n");
    }

    static byte[] dechunk(byte[] b) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int i = 0;
        while (i < b.length) {
            int eol = indexOf(b, i);
            if (eol < 0) {
                break;
            }
            String sizeLine = new String(b, i, eol - i, StandardCharsets.ISO_8859_1);
            int semi = sizeLine.indexOf(';');
            int size;
            try {
                size = Integer.parseInt((semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim(), 16);
            } catch (NumberFormatException e) {
                break;
            }
            if (size == 0) {
                break;
            }
            int start = eol + 2;
            int n = Math.min(size, b.length - start);
            out.write(b, start, Math.max(0, n));
            i = start + size + 2;
        }
        return out.toByteArray();
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
