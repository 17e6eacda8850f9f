package io.wstunnel.e2e;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A tiny HTTP/1.1 client on a raw socket: lets tests send headers that java.net.http refuses to
 * send (Connection, Upgrade, ...), see every response header as it came, and control reading.
 */
public final class RawHttp {

    private RawHttp() {
    }

    /** A parsed response: status, headers (names lower-cased, in order), body. */
    public record Response(int status, String reason, List<Map.Entry<String, String>> headerList, byte[] body) {
        public Optional<String> header(String name) {
            String n = name.toLowerCase(Locale.ROOT);
            return headerList.stream().filter(e -> e.getKey().equals(n)).map(Map.Entry::getValue).findFirst();
        }

        public boolean hasHeader(String name) {
            return header(name).isPresent();
        }

        public Map<String, List<String>> headers() {
            Map<String, List<String>> m = new TreeMap<>();
            for (Map.Entry<String, String> e : headerList) {
                m.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
            }
            return m;
        }

        public String bodyText() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** Opens a socket to 127.0.0.1:port with a read timeout. */
    public static Socket connect(int port, int readTimeoutMillis) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
        s.setSoTimeout(readTimeoutMillis);
        return s;
    }

    /**
     * Sends {@code head} (request line + headers, lines separated by CRLF, without the final empty
     * line) and {@code body}, then reads one response. The connection is closed afterwards.
     */
    public static Response exchange(int port, String head, byte[] body) throws IOException {
        try (Socket s = connect(port, 30_000)) {
            send(s, head, body);
            return readResponse(new BufferedInputStream(s.getInputStream()), true);
        }
    }

    public static Response exchange(int port, String head) throws IOException {
        return exchange(port, head, new byte[0]);
    }

    public static void send(Socket s, String head, byte[] body) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write((head + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    /** Reads status line and headers only. */
    public static Response readHead(InputStream in) throws IOException {
        String statusLine = readLine(in);
        if (statusLine == null) {
            throw new EOFException("connection closed before a status line");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new IOException("bad status line: " + statusLine);
        }
        int status = Integer.parseInt(parts[1]);
        String reason = parts.length > 2 ? parts[2] : "";
        List<Map.Entry<String, String>> headers = new ArrayList<>();
        String line;
        while ((line = readLine(in)) != null && !line.isEmpty()) {
            int c = line.indexOf(':');
            if (c > 0) {
                headers.add(Map.entry(line.substring(0, c).trim().toLowerCase(Locale.ROOT), line.substring(c + 1).trim()));
            }
        }
        if (line == null) {
            throw new EOFException("connection closed inside the response head");
        }
        return new Response(status, reason, headers, new byte[0]);
    }

    /**
     * Reads a whole response. The body is delimited by Content-Length, chunked encoding, or (if
     * {@code untilCloseAllowed}) the end of the connection. A body cut short throws EOFException.
     */
    public static Response readResponse(InputStream in, boolean untilCloseAllowed) throws IOException {
        Response head = readHead(in);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        Optional<String> te = head.header("transfer-encoding");
        Optional<String> cl = head.header("content-length");
        if (head.status() == 204 || head.status() == 304 || head.status() / 100 == 1) {
            // no body
        } else if (te.isPresent() && te.get().toLowerCase(Locale.ROOT).contains("chunked")) {
            readChunked(in, body);
        } else if (cl.isPresent()) {
            long n = Long.parseLong(cl.get());
            copyExactly(in, body, n);
        } else if (untilCloseAllowed) {
            in.transferTo(body);
        }
        return new Response(head.status(), head.reason(), head.headerList(), body.toByteArray());
    }

    static void readChunked(InputStream in, OutputStream sink) throws IOException {
        while (true) {
            String sizeLine = readLine(in);
            if (sizeLine == null) {
                throw new EOFException("chunked body cut before its last chunk");
            }
            int semi = sizeLine.indexOf(';');
            String hex = (semi >= 0 ? sizeLine.substring(0, semi) : sizeLine).trim();
            long size = Long.parseLong(hex, 16);
            if (size == 0) {
                String l;
                while ((l = readLine(in)) != null && !l.isEmpty()) {
                    // trailers ignored
                }
                return;
            }
            copyExactly(in, sink, size);
            String crlf = readLine(in);
            if (crlf == null) {
                throw new EOFException("chunked body cut inside a chunk");
            }
        }
    }

    static void copyExactly(InputStream in, OutputStream sink, long n) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long left = n;
        while (left > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (r < 0) {
                throw new EOFException("body cut short: " + left + " of " + n + " bytes missing");
            }
            sink.write(buf, 0, r);
            left -= r;
        }
    }

    /** One line without its CRLF (or LF); null at end of stream before any byte. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        boolean any = false;
        while ((c = in.read()) >= 0) {
            any = true;
            if (c == '\n') {
                break;
            }
            b.write(c);
        }
        if (!any) {
            return null;
        }
        byte[] bytes = b.toByteArray();
        int len = bytes.length;
        if (len > 0 && bytes[len - 1] == '\r') {
            len--;
        }
        return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
    }

    // ---------------------------------------------------------------- digests

    public static String sha256(byte[] data) {
        MessageDigest md = sha256();
        return HexFormat.of().formatHex(md.digest(data));
    }

    /** Reads {@code in} to its end and returns {@code "<byte count> <sha-256 hex>"}: what a backend saw. */
    public static String countAndDigest(java.io.InputStream in) throws java.io.IOException {
        MessageDigest md = sha256();
        long count = 0;
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
            md.update(buf, 0, n);
            count += n;
        }
        return count + " " + HexFormat.of().formatHex(md.digest());
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deterministic pseudo-random bytes (not compressible, reproducible from the seed). */
    public static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new java.util.SplittableRandom(seed).nextBytes(b);
        return b;
    }
}
