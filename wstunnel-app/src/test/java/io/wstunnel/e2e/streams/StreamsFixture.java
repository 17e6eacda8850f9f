package io.wstunnel.e2e.streams;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.server.handlers.PathHandler;
import io.undertow.websockets.WebSocketConnectionCallback;
import io.undertow.websockets.WebSocketProtocolHandshakeHandler;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.undertow.websockets.core.protocol.version13.Hybi13Handshake;
import io.undertow.websockets.extensions.PerMessageDeflateHandshake;
import io.wstunnel.cli.Agent;
import io.wstunnel.cli.AgentConfig;
import io.wstunnel.e2e.TunnelFixture;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.UnaryOperator;
import org.xnio.Pooled;

/**
 * A tunnel server, an agent, a WebSocket backend (Undertow: echo, commands, subprotocols
 * chat.v1/chat.v2, permessage-deflate) and a TCP echo target, all on 127.0.0.1 with ephemeral
 * ports. Shared by the tests of a class; {@link #close()} stops everything.
 */
final class StreamsFixture implements AutoCloseable {
    final String token = TunnelFixture.randomToken();
    final Undertow backend;
    final int backendPort;
    final TcpEcho tcpEcho;
    final TunnelServer server;
    final Agent agent;
    /** Close frames the backend received: "code reason". */
    final List<String> backendCloses = new CopyOnWriteArrayList<>();
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    /** Body size of the backend's refusal at /long-refusal. */
    static final int LONG_REFUSAL = 20_000;

    StreamsFixture(UnaryOperator<ServerConfig.Builder> srv, UnaryOperator<AgentConfig.Builder> cli) throws Exception {
        PathHandler paths = Handlers.path()
                .addPrefixPath("/echo", new WebSocketProtocolHandshakeHandler(
                        List.of(new Hybi13Handshake(Set.of("chat.v1", "chat.v2"), false)), echo())
                        .addExtension(new PerMessageDeflateHandshake()))
                .addPrefixPath("/nows", ex -> {
                    ex.setStatusCode(403);
                    ex.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "text/plain");
                    ex.getResponseSender().send("no websocket here");
                })
                .addPrefixPath("/long-refusal", ex -> {
                    ex.setStatusCode(403);
                    ex.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "text/plain");
                    ex.getResponseSender().send("x".repeat(LONG_REFUSAL));
                });
        backend = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(4)
                .setHandler(paths).build();
        backend.start();
        backendPort = ((InetSocketAddress) backend.getListenerInfo().get(0).getAddress()).getPort();
        tcpEcho = new TcpEcho();
        server = TunnelServer.start(srv.apply(ServerConfig.builder().host("127.0.0.1").port(0)
                .shutdownGrace(Duration.ofSeconds(1))).build());
        AgentConfig config = cli.apply(AgentConfig.builder()
                .tunnel(URI.create("ws://127.0.0.1:" + server.port()))
                .token(token)
                .server(URI.create("http://127.0.0.1:" + backendPort))
                .maxBackoff(Duration.ofSeconds(2))
                .shutdownGrace(Duration.ofSeconds(1))
                .tcpTargets(java.util.Map.of("echo", "127.0.0.1:" + tcpEcho.port(),
                        "closed", "127.0.0.1:" + closedPort()))).build();
        agent = Agent.start(config);
        if (!agent.awaitConnected(Duration.ofSeconds(15))) {
            close();
            throw new AssertionError("agent did not connect");
        }
    }

    /** A port nobody listens on (bound, then closed). */
    static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    URI ws(String path) {
        return URI.create("ws://127.0.0.1:" + server.port() + "/_token/" + token + path);
    }

    String http() {
        return "http://127.0.0.1:" + server.port();
    }

    @Override
    public void close() {
        try {
            agent.stop(Duration.ZERO);
        } catch (RuntimeException e) {
            // best effort
        }
        try {
            server.stop(Duration.ZERO);
        } catch (Exception e) {
            // best effort
        }
        backend.stop();
        tcpEcho.close();
    }

    // ------------------------------------------------------------------ WebSocket backend

    private WebSocketConnectionCallback echo() {
        return (exchange, channel) -> {
            String origin = exchange.getRequestHeader("Origin");
            String cookie = exchange.getRequestHeader("Cookie");
            channel.getReceiveSetter().set(new AbstractReceiveListener() {
                @Override
                protected long getMaxBinaryBufferSize() {
                    return 32 << 20;
                }

                @Override
                protected long getMaxTextBufferSize() {
                    return 32 << 20;
                }

                @Override
                protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
                    String m = message.getData();
                    if (m.equals("whoami")) {
                        WebSockets.sendText("origin=" + origin + ";cookie=" + cookie, ch, null);
                    } else if (m.startsWith("close:")) {
                        String[] p = m.split(":", 3);
                        WebSockets.sendClose(Integer.parseInt(p[1]), p[2], ch, null);
                    } else if (m.startsWith("flood:")) {
                        int n = Integer.parseInt(m.substring(6));
                        for (int i = 0; i < n; i++) {
                            WebSockets.sendBinary(ByteBuffer.allocate(64 * 1024), ch, null);
                        }
                        WebSockets.sendText("flood-done", ch, null);
                    } else {
                        WebSockets.sendText(m, ch, null);
                    }
                }

                @Override
                protected void onFullBinaryMessage(WebSocketChannel ch, BufferedBinaryMessage message) {
                    Pooled<ByteBuffer[]> data = message.getData();
                    try {
                        WebSockets.sendBinary(WebSockets.mergeBuffers(data.getResource()), ch, null);
                    } finally {
                        data.free();
                    }
                }

                @Override
                protected void onCloseMessage(CloseMessage cm, WebSocketChannel ch) {
                    backendCloses.add(cm.getCode() + " " + cm.getReason());
                }
            });
            channel.resumeReceives();
        };
    }

    // ------------------------------------------------------------------ client

    /** A JDK WebSocket client collecting whole messages (String or byte[]) and the close. */
    static final class Client implements WebSocket.Listener {
        final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<String> closed = new CompletableFuture<>();
        private final StringBuilder text = new StringBuilder();
        private java.io.ByteArrayOutputStream binary = new java.io.ByteArrayOutputStream();
        /** Messages requested at a time; 0 = the test calls request() itself (slow reader). */
        private final boolean autoRequest;

        Client(boolean autoRequest) {
            this.autoRequest = autoRequest;
        }

        @Override
        public void onOpen(WebSocket ws) {
            ws.request(1);
        }

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                messages.add(text.toString());
                text.setLength(0);
            }
            if (autoRequest || !last) {
                ws.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            binary.write(b, 0, b.length);
            if (last) {
                messages.add(binary.toByteArray());
                binary = new java.io.ByteArrayOutputStream();
            }
            if (autoRequest || !last) {
                ws.request(1);
            }
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
            closed.complete(statusCode + " " + reason);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            closed.completeExceptionally(error);
        }
    }

    // ------------------------------------------------------------------ TCP echo target

    /** Echoes every byte back, one daemon thread per connection. */
    static final class TcpEcho implements AutoCloseable {
        private final ServerSocket socket;
        private final List<Socket> open = new CopyOnWriteArrayList<>();
        final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();

        TcpEcho() throws IOException {
            socket = new ServerSocket(0, 100, java.net.InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::acceptLoop, "tcp-echo-accept");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        private void acceptLoop() {
            while (!socket.isClosed()) {
                try {
                    Socket s = socket.accept();
                    accepted.incrementAndGet();
                    open.add(s);
                    Thread t = new Thread(() -> pump(s), "tcp-echo");
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void pump(Socket s) {
            byte[] buf = new byte[32 * 1024];
            try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                }
            } catch (IOException e) {
                // client gone
            } finally {
                open.remove(s);
            }
        }

        int openConnections() {
            return open.size();
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
            for (Socket s : new ArrayList<>(open)) {
                try {
                    s.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        }
    }
}
