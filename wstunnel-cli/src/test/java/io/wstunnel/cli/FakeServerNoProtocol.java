package io.wstunnel.cli;

import io.undertow.Handlers;
import io.undertow.Undertow;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;

/** A WebSocket server that selects no subprotocol (like a legacy server), and one that refuses with 401. */
final class FakeServerNoProtocol implements AutoCloseable {
    final AtomicInteger upgrades = new AtomicInteger();
    private final Undertow undertow;

    FakeServerNoProtocol() {
        undertow = Undertow.builder().addHttpListener(0, "127.0.0.1").setIoThreads(1).setWorkerThreads(1)
                .setHandler(Handlers.websocket((exchange, channel) -> upgrades.incrementAndGet()))
                .build();
        undertow.start();
    }

    URI uri() {
        int port = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
        return URI.create("ws://127.0.0.1:" + port);
    }

    @Override
    public void close() {
        undertow.stop();
    }
}
