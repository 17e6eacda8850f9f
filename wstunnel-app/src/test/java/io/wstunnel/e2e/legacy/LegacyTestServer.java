package io.wstunnel.e2e.legacy;

import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.HttpString;
import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.WebSocketCallback;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.xnio.Pooled;

/**
 * Test-only legacy tunnel server written from LEGACY.md §1–§4 (it shares no code with the production
 * server): agents upgrade at /_tunnel with the token in Origin and no subprotocol; callers send
 * X-Token requests that become one id + HTTP/1.1 message each; the agent's response message is
 * parsed and written to the caller. Pongs answer pings (Undertow does that by itself).
 */
final class LegacyTestServer implements AutoCloseable {
    final String token;
    final AtomicInteger upgrades = new AtomicInteger();
    final List<Map<String, List<String>>> upgradeHeaders = new CopyOnWriteArrayList<>();
    private final List<WebSocketChannel> agents = new CopyOnWriteArrayList<>();
    private final Map<String, CompletableFuture<byte[]>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final Undertow undertow;

    LegacyTestServer(String token) {
        this.token = token;
        var ws = Handlers.websocket((exchange, channel) -> {
            if (!token.equals(exchange.getRequestHeader("Origin"))) {
                try {
                    channel.sendClose();
                } catch (IOException e) {
                    // ignore
                }
                return;
            }
            upgrades.incrementAndGet();
            upgradeHeaders.add(exchange.getRequestHeaders());
            channel.getReceiveSetter().set(new AbstractReceiveListener() {
                @Override
                protected void onFullBinaryMessage(WebSocketChannel ch, BufferedBinaryMessage m) {
                    Pooled<ByteBuffer[]> data = m.getData();
                    try {
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        for (ByteBuffer b : data.getResource()) {
                            byte[] a = new byte[b.remaining()];
                            b.get(a);
                            out.write(a, 0, a.length);
                        }
                        byte[] msg = out.toByteArray();
                        String id = new String(msg, 0, 4, java.nio.charset.StandardCharsets.US_ASCII).toLowerCase();
                        CompletableFuture<byte[]> f = pending.remove(id);
                        if (f != null) {
                            f.complete(msg);
                        }
                    } finally {
                        data.free();
                    }
                }
            });
            channel.addCloseTask(agents::remove);
            channel.resumeReceives();
            agents.add(channel);
        });
        undertow = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(40)
                .setServerOption(io.undertow.UndertowOptions.MAX_ENTITY_SIZE, 64L * 1024 * 1024)
                .setHandler(exchange -> {
                    if (exchange.getRequestPath().equals("/_tunnel")) {
                        ws.handleRequest(exchange);
                    } else if (exchange.isInIoThread()) {
                        exchange.dispatch(this::caller);
                    } else {
                        caller(exchange);
                    }
                })
                .build();
        undertow.start();
    }

    int port() {
        return ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
    }

    URI tunnel() {
        return URI.create("ws://127.0.0.1:" + port());
    }

    int connectedAgents() {
        return agents.size();
    }

    /** Drops every agent socket (the agent must reconnect). */
    void dropAgents() throws IOException {
        for (WebSocketChannel c : agents) {
            c.close();
        }
    }

    private void caller(HttpServerExchange x) throws Exception {
        x.startBlocking();
        String tok = x.getRequestHeaders().getFirst("X-Token");
        if (!token.equals(tok) || agents.isEmpty()) {
            x.setStatusCode(404);
            x.getResponseSender().send("Tunnel not found (or not seen in a long time)");
            return;
        }
        byte[] body = x.getInputStream().readAllBytes();
        String id = String.format("%04x", ids.incrementAndGet() % 32000);
        String target = x.getRequestURI() + (x.getQueryString().isEmpty() ? "" : "?" + x.getQueryString());
        List<String[]> headers = new ArrayList<>();
        headers.add(new String[] {"Host", x.getRequestHeaders().getFirst("Host")});
        for (HeaderValues hv : x.getRequestHeaders()) {
            if (Wire.NOT_COPIED.contains(hv.getHeaderName().toString().toLowerCase())) {
                continue;
            }
            for (String v : hv) {
                headers.add(new String[] {hv.getHeaderName().toString(), v});
            }
        }
        boolean withLength = body.length > 0 || !x.getRequestMethod().toString().equals("GET");
        byte[] msg = Wire.message(id, x.getRequestMethod() + " " + target + " HTTP/1.1", headers, body, withLength);
        CompletableFuture<byte[]> answer = new CompletableFuture<>();
        pending.put(id, answer);
        WebSocketChannel agent = agents.get(Math.floorMod(id.hashCode(), agents.size()));
        CompletableFuture<Void> sent = new CompletableFuture<>();
        synchronized (agent) {
            WebSockets.sendBinary(ByteBuffer.wrap(msg), agent, new WebSocketCallback<Void>() {
                @Override
                public void complete(WebSocketChannel channel, Void context) {
                    sent.complete(null);
                }

                @Override
                public void onError(WebSocketChannel channel, Void context, Throwable throwable) {
                    sent.completeExceptionally(throwable);
                }
            });
        }
        byte[] reply;
        try {
            sent.get(30, TimeUnit.SECONDS);
            reply = answer.get(60, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            pending.remove(id);
            x.setStatusCode(504);
            x.getResponseSender().send("Tunnel timeout: " + e);
            return;
        }
        Wire.Msg m = Wire.parse(reply, x.getRequestMethod().toString().equals("HEAD"));
        x.setStatusCode(Integer.parseInt(m.start()[1]));
        for (String[] h : m.headers()) {
            if (!Wire.NOT_COPIED.contains(h[0].toLowerCase())) {
                x.getResponseHeaders().add(new HttpString(h[0]), h[1]);
            }
        }
        x.getResponseHeaders().put(new HttpString("Content-Length"), m.body().length);
        x.getOutputStream().write(m.body());
        x.getOutputStream().close();
    }

    @Override
    public void close() {
        pending.values().forEach(f -> f.completeExceptionally(new IOException("server closed")));
        for (WebSocketChannel c : agents) {
            org.xnio.IoUtils.safeClose(c);
        }
        undertow.stop();
    }
}
