package io.wstunnel.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** A tiny HTTP/1.1 server for tests that need byte-level control: one handler per connection. */
final class RawBackend implements AutoCloseable {
    interface Handler {
        void handle(Socket socket, String requestHead) throws Exception;
    }

    private final ServerSocket server;
    private final Thread acceptor;
    final CompletableFuture<Throwable> handlerDone = new CompletableFuture<>();

    RawBackend(Handler handler) throws IOException {
        server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread t = new Thread(() -> {
                        try (s) {
                            s.setSoTimeout(15_000);
                            handler.handle(s, readHead(s.getInputStream()));
                            handlerDone.complete(null);
                        } catch (Exception e) {
                            handlerDone.complete(e);
                        }
                    }, "raw-backend-conn");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "raw-backend");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("EOF in request head");
            }
            out.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    static void write(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
