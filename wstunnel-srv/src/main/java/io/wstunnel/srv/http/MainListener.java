package io.wstunnel.srv.http;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.connector.ByteBufferPool;
import io.undertow.protocols.ssl.UndertowXnioSsl;
import io.undertow.server.DefaultByteBufferPool;
import io.undertow.server.HttpHandler;
import io.undertow.server.protocol.http.AlpnOpenListener;
import io.undertow.server.protocol.http.HttpOpenListener;
import io.undertow.server.protocol.http2.Http2OpenListener;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import javax.net.ssl.SSLContext;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;
import org.xnio.IoUtils;
import org.xnio.OptionMap;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.Xnio;
import org.xnio.XnioWorker;
import org.xnio.channels.AcceptingChannel;

/**
 * The main listener (callers and agents): plain HTTP/1.1, or HTTPS with HTTP/2 by ALPN. Started the
 * way {@code Undertow.start()} starts a listener (same worker, socket and buffer defaults), with one
 * addition that the builder has no hook for: a {@link HeadGuard} goes under each connection before
 * Undertow reads from it; and without the pipelining buffer (see below).
 */
public final class MainListener {
    private final XnioWorker worker;
    private final AcceptingChannel<? extends StreamConnection> channel;
    private final UndertowXnioSsl ssl;

    private MainListener(XnioWorker worker, AcceptingChannel<? extends StreamConnection> channel, UndertowXnioSsl ssl) {
        this.worker = worker;
        this.channel = channel;
        this.ssl = ssl;
    }

    /**
     * @param serverOptions Undertow options ({@link UndertowOptions})
     * @param socketOptions XNIO options for the accepted sockets
     * @param sslContext    null for plain HTTP
     */
    public static MainListener start(String host, int port, int ioThreads, int workerThreads, OptionMap serverOptions,
                                     OptionMap socketOptions, SSLContext sslContext, HttpHandler root,
                                     HeadGuard.Registry guards) {
        Xnio xnio = Xnio.getInstance(Undertow.class.getClassLoader());
        XnioWorker worker = null;
        try {
            worker = xnio.createWorker(OptionMap.builder()
                    .set(Options.WORKER_IO_THREADS, ioThreads)
                    .set(Options.CONNECTION_HIGH_WATER, 1_000_000)
                    .set(Options.CONNECTION_LOW_WATER, 1_000_000)
                    .set(Options.WORKER_TASK_CORE_THREADS, workerThreads)
                    .set(Options.WORKER_TASK_MAX_THREADS, workerThreads)
                    .set(Options.TCP_NODELAY, true)
                    .set(Options.CORK, true)
                    .getMap());
            OptionMap sockets = OptionMap.builder()
                    .set(Options.WORKER_IO_THREADS, worker.getIoThreadCount())
                    .set(Options.TCP_NODELAY, true)
                    .set(Options.REUSE_ADDRESSES, true)
                    .set(Options.BALANCING_TOKENS, 1)
                    .set(Options.BALANCING_CONNECTIONS, 2)
                    .set(Options.BACKLOG, 1000)
                    .addAll(socketOptions)
                    .getMap();
            // Unlike Undertow.start(): no pipelining buffer. It holds a finished response while unparsed
            // bytes of the connection remain, until the next exchange ends, so a response sat behind an
            // incomplete pipelined head or a pipelined long poll (lost when the connection then closed).
            OptionMap undertowOptions = OptionMap.builder()
                    .set(UndertowOptions.NO_REQUEST_TIMEOUT, 60_000)
                    .addAll(serverOptions)
                    .set(UndertowOptions.BUFFER_PIPELINED_DATA, false)
                    .getMap();
            ByteBufferPool buffers = bufferPool();
            HttpOpenListener http = new HttpOpenListener(buffers, undertowOptions);
            http.setRootHandler(root);
            InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(host), port);
            if (sslContext == null) {
                ChannelListener<AcceptingChannel<StreamConnection>> accept = ChannelListeners.openListenerAdapter(guards.wrap(http));
                AcceptingChannel<? extends StreamConnection> server = worker.createStreamConnectionServer(address, accept, sockets);
                server.resumeAccepts();
                return new MainListener(worker, server, null);
            }
            AlpnOpenListener alpn = new AlpnOpenListener(buffers, undertowOptions, http);
            if (undertowOptions.get(UndertowOptions.ENABLE_HTTP2, false)) {
                Http2OpenListener h2 = new Http2OpenListener(buffers, undertowOptions);
                h2.setRootHandler(root);
                alpn.addProtocol(Http2OpenListener.HTTP2, h2, 10);
                alpn.addProtocol(Http2OpenListener.HTTP2_14, h2, 7);
            }
            UndertowXnioSsl ssl = new UndertowXnioSsl(xnio, OptionMap.create(Options.USE_DIRECT_BUFFERS, true), sslContext);
            @SuppressWarnings({"rawtypes", "unchecked"})
            ChannelListener accept = ChannelListeners.openListenerAdapter(guards.wrap(alpn));
            @SuppressWarnings("unchecked")
            AcceptingChannel<? extends StreamConnection> server = ssl.createSslConnectionServer(worker, address, accept, sockets);
            server.resumeAccepts();
            return new MainListener(worker, server, ssl);
        } catch (IOException | RuntimeException e) {
            if (worker != null) {
                worker.shutdownNow();
            }
            throw new IllegalStateException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** Undertow's default buffers for this heap size. */
    private static ByteBufferPool bufferPool() {
        long max = Runtime.getRuntime().maxMemory();
        if (max < 64L * 1024 * 1024) {
            return new DefaultByteBufferPool(false, 512, -1, 4);
        }
        if (max < 128L * 1024 * 1024) {
            return new DefaultByteBufferPool(true, 1024, -1, 4);
        }
        return new DefaultByteBufferPool(true, 16 * 1024 - 20, -1, 4);
    }

    public InetSocketAddress address() {
        return channel.getLocalAddress(InetSocketAddress.class);
    }

    /** Serves new TLS connections with this context (certificate reload); no-op for plain HTTP. */
    public void updateSslContext(SSLContext context) {
        if (ssl != null) {
            ssl.updateSSLContext(context);
        }
    }

    /** Unbinds, closes every connection and stops the threads. */
    public void stop() {
        IoUtils.safeClose(channel);
        worker.shutdown();
        try {
            worker.awaitTermination();
        } catch (InterruptedException e) {
            worker.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
