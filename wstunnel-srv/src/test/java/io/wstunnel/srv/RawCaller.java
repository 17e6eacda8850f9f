package io.wstunnel.srv;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A caller on one raw keep-alive connection, so tests see exactly the bytes and the close the server
 * gives it. Every read waits at most 10 s.
 */
public final class RawCaller implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;

    public RawCaller(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = socket.getInputStream();
    }

    /** Sends a request without body, with {@code X-Token}. */
    public void request(String method, String path, String token) throws IOException {
        socket.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nHost: h\r\nX-Token: " + token + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Sends {@code raw} bytes as they are (ISO-8859-1). */
    public void send(String raw) throws IOException {
        socket.getOutputStream().write(raw.getBytes(StandardCharsets.ISO_8859_1));
    }

    /**
     * Reads until the connection ends: the bytes that came, and whether it ended with a reset (an
     * IOException) rather than a clean end of stream. AssertionError if it stays open.
     */
    public Ending ending() throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        boolean reset = false;
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server left the connection open after: "
                    + got.toString(StandardCharsets.ISO_8859_1), e);
        } catch (IOException e) {
            reset = true;
        }
        return new Ending(got.toString(StandardCharsets.ISO_8859_1), reset);
    }

    /** What {@link #ending()} saw. */
    public record Ending(String bytes, boolean reset) { }

    /** The response head up to its blank line; AssertionError if the connection ends first. */
    public String head() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (!b.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new AssertionError("connection ended inside the head: " + b.toString(StandardCharsets.ISO_8859_1));
            }
            b.write(c);
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** Up to {@code n} body bytes, fewer if the connection ends first. */
    public String body(int n) throws IOException {
        return new String(in.readNBytes(n), StandardCharsets.ISO_8859_1);
    }

    /**
     * Everything until the server closes the connection (a reset counts as a close); AssertionError
     * if it stays open.
     */
    public String untilClosed() throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (SocketTimeoutException e) {
            throw new AssertionError("the server left the connection open after: "
                    + got.toString(StandardCharsets.ISO_8859_1), e);
        } catch (IOException reset) {
            // closed with a reset: as visible as a FIN
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
