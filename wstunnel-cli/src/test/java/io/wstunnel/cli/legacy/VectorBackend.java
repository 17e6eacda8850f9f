package io.wstunnel.cli.legacy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Test-only raw HTTP/1.1 backend reproducing the routes of the vectors' part B (Node backend and the raw
 * unframed one): /cl, /chunked, /notfound, /echo, /nocontent, /reason, /slow?ms=N, /hangup, /raw.
 * Records what it saw per path (request line, headers as received, body length), like *.backend-saw.txt.
 */
final class VectorBackend implements AutoCloseable {
    private final ServerSocket server;
    final Map<String, String> saw = new ConcurrentHashMap<>();

    VectorBackend() throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread h = new Thread(() -> serve(s), "vector-backend-conn");
                    h.setDaemon(true);
                    h.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "vector-backend");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void serve(Socket s) {
        try (s) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            while (true) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String[] lines = head.split("\r\n");
                String requestLine = lines[0];
                long length = 0;
                boolean chunked = false;
                for (int i = 1; i < lines.length; i++) {
                    String l = lines[i].toLowerCase(Locale.ROOT);
                    if (l.startsWith("content-length:")) {
                        length = Long.parseLong(l.substring(15).trim());
                    } else if (l.startsWith("transfer-encoding:") && l.contains("chunked")) {
                        chunked = true;
                    }
                }
                byte[] body = chunked ? readChunked(in) : in.readNBytes((int) length);
                String path = requestLine.split(" ")[1];
                saw.put(path.replaceAll("\\?.*", ""), head + "(body " + body.length + " bytes)");
                if (!answer(s.getOutputStream(), requestLine, path, head, body)) {
                    return;
                }
            }
        } catch (IOException | RuntimeException | InterruptedException e) {
            // connection over
        }
    }

    /** @return false when the connection must end */
    private boolean answer(OutputStream out, String requestLine, String path, String head, byte[] body)
            throws IOException, InterruptedException {
        String route = path.replaceAll("\\?.*", "");
        switch (route) {
            case "/cl":
                write(out, "200 OK", "Content-Type: text/plain\r\nSet-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; Path=/\r\n"
                        + "X-Backend: cl\r\n", "hello from backend\n", requestLine.startsWith("HEAD"));
                return true;
            case "/chunked":
                out.write(("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\nX-Backend: chunked\r\n"
                        + "Connection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\nc\r\nfirst chunk\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                Thread.sleep(50);
                out.write("d\r\nsecond chunk\n\r\n0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return true;
            case "/notfound":
                write(out, "404 Not Found", "Content-Type: text/plain\r\nX-Backend: 404\r\n", "no such thing\n", false);
                return true;
            case "/nocontent":
                out.write("HTTP/1.1 204 No Content\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\nX-Backend: 204\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return true;
            case "/reason":
                write(out, "200 Custom Reason Phrase", "X-Backend: reason\r\n", "ok", false);
                return true;
            case "/slow":
                Thread.sleep(Long.parseLong(path.replaceAll(".*ms=", "")));
                write(out, "200 OK", "Content-Type: text/plain\r\nX-Backend: slow\r\n", "slow\n", false);
                return true;
            case "/hangup":
                return false;
            case "/huge": // announces 200 MiB: more than a Go server accepts in one message
                out.write("HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\nabc".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                Thread.sleep(3000);
                return false;
            case "/raw":
                out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Backend: raw-eof\r\n\r\n"
                        + "unframed body, ended by closing the connection\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                return false;
            default: // /echo and anything else
                String text = head.replace("\r\n", "\n") + "body(" + body.length + "): "
                        + new String(body, StandardCharsets.ISO_8859_1);
                write(out, "200 OK", "Content-Type: text/plain\r\nX-Backend: echo\r\n", text, false);
                return true;
        }
    }

    private static void write(OutputStream out, String status, String headers, String body, boolean head) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.ISO_8859_1);
        out.write(("HTTP/1.1 " + status + "\r\nContent-Length: " + b.length + "\r\nConnection: keep-alive\r\n"
                + "Keep-Alive: timeout=5\r\n" + headers + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        if (!head) {
            out.write(b);
        }
        out.flush();
    }

    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            byte[] a = b.toByteArray();
            int n = a.length;
            if (n >= 4 && a[n - 4] == '\r' && a[n - 3] == '\n' && a[n - 2] == '\r' && a[n - 1] == '\n') {
                return new String(a, 0, n - 2, StandardCharsets.ISO_8859_1);
            }
        }
        return null;
    }

    static byte[] readChunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String line = readLine(in);
            int size = Integer.parseInt(line.split(";")[0].trim(), 16);
            if (size == 0) {
                while (!readLine(in).isEmpty()) {
                    // trailers
                }
                return body.toByteArray();
            }
            body.write(in.readNBytes(size));
            readLine(in);
        }
    }

    static String readLine(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0 && c != '\n') {
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
