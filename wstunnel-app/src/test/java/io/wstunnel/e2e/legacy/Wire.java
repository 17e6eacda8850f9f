package io.wstunnel.e2e.legacy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Test-only legacy message codec written from LEGACY.md §2 (NOT the production codec): a message is
 * 4 hex digits + one HTTP/1.x request or response whose body is framed by Content-Length, chunked, or
 * runs to the end of the message.
 */
final class Wire {
    static final Set<String> NOT_COPIED = Set.of("connection", "keep-alive", "te", "trailer", "trailers",
            "transfer-encoding", "upgrade", "content-length", "host", "proxy-connection", "expect");

    private Wire() {
    }

    /** One parsed message: the start line split in three, headers in order, the de-framed body. */
    record Msg(String id, String[] start, List<String[]> headers, byte[] body) {
        String header(String name) {
            for (String[] h : headers) {
                if (h[0].equalsIgnoreCase(name)) {
                    return h[1];
                }
            }
            return null;
        }
    }

    static Msg parse(byte[] m, boolean bodyless) {
        String id = new String(m, 0, 4, StandardCharsets.US_ASCII);
        int end = -1;
        for (int i = 4; i + 3 < m.length; i++) {
            if (m[i] == '\r' && m[i + 1] == '\n' && m[i + 2] == '\r' && m[i + 3] == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0) {
            throw new IllegalArgumentException("no end of head");
        }
        String[] lines = new String(m, 4, end - 4, StandardCharsets.ISO_8859_1).split("\r\n");
        List<String[]> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            headers.add(new String[] {lines[i].substring(0, c).trim(), lines[i].substring(c + 1).trim()});
        }
        String[] start = lines[0].split(" ", 3);
        Msg head = new Msg(id, start, headers, new byte[0]);
        byte[] rest = Arrays.copyOfRange(m, end + 4, m.length);
        String te = head.header("Transfer-Encoding");
        String cl = head.header("Content-Length");
        byte[] body;
        if (bodyless) {
            body = new byte[0];
        } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
            body = dechunk(rest);
        } else if (cl != null) {
            body = Arrays.copyOf(rest, Integer.parseInt(cl.trim()));
        } else {
            body = rest;
        }
        return new Msg(id, start, headers, body);
    }

    static byte[] dechunk(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int p = 0;
        while (true) {
            int eol = p;
            while (b[eol] != '\n') {
                eol++;
            }
            String size = new String(b, p, eol - p, StandardCharsets.US_ASCII).trim();
            int n = Integer.parseInt(size.split(";")[0], 16);
            p = eol + 1;
            if (n == 0) {
                return out.toByteArray();
            }
            out.write(b, p, n);
            p += n + 2;
        }
    }

    /** id + start line + headers (+ Content-Length when {@code withLength}) + body. */
    static byte[] message(String id, String startLine, List<String[]> headers, byte[] body, boolean withLength) {
        StringBuilder sb = new StringBuilder(id).append(startLine).append("\r\n");
        for (String[] h : headers) {
            sb.append(h[0]).append(": ").append(h[1]).append("\r\n");
        }
        if (withLength) {
            sb.append("Content-Length: ").append(body.length).append("\r\n");
        }
        sb.append("\r\n");
        byte[] head = sb.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = Arrays.copyOf(head, head.length + body.length);
        System.arraycopy(body, 0, all, head.length, body.length);
        return all;
    }
}
