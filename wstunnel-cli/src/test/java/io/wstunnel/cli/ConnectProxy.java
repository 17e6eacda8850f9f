package io.wstunnel.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/** A minimal HTTP CONNECT proxy requiring Basic auth, for tests. */
final class ConnectProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String expectedAuth;
    final AtomicInteger challenges = new AtomicInteger();
    final AtomicInteger tunnels = new AtomicInteger();

    ConnectProxy(String user, String pass) throws IOException {
        expectedAuth = "Basic " + Base64.getEncoder().encodeToString((user + ":" + pass).getBytes(StandardCharsets.UTF_8));
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "connect-proxy");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread t = new Thread(() -> handle(s), "connect-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void handle(Socket client) {
        try (client) {
            while (true) {
                String head = RawBackend.readHead(client.getInputStream());
                String[] lines = head.split("\r\n");
                String target = lines[0].split(" ")[1];
                String auth = null;
                for (String l : lines) {
                    if (l.toLowerCase(Locale.ROOT).startsWith("proxy-authorization:")) {
                        auth = l.substring(l.indexOf(':') + 1).trim();
                    }
                }
                if (!expectedAuth.equals(auth)) {
                    challenges.incrementAndGet();
                    RawBackend.write(client, "HTTP/1.1 407 Proxy Authentication Required\r\n"
                            + "Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n");
                    continue;
                }
                int colon = target.lastIndexOf(':');
                try (Socket upstream = new Socket(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)))) {
                    tunnels.incrementAndGet();
                    RawBackend.write(client, "HTTP/1.1 200 Connection established\r\n\r\n");
                    Thread up = new Thread(() -> pipe(client, upstream), "connect-proxy-up");
                    up.setDaemon(true);
                    up.start();
                    pipe(upstream, client);
                }
                return;
            }
        } catch (IOException e) {
            // connection ended
        }
    }

    private static void pipe(Socket from, Socket to) {
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // closed
        } finally {
            try {
                to.shutdownOutput();
            } catch (IOException ignored) {
                // already closed
            }
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
