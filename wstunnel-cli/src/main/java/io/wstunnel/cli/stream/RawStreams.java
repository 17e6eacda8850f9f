package io.wstunnel.cli.stream;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.local.Target;
import io.wstunnel.cli.net.AddressPolicy;
import io.wstunnel.cli.net.DeniedAddressException;
import io.wstunnel.cli.tunnel.StreamHandler;
import io.wstunnel.cli.tunnel.TunnelStream;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.StreamKind;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's byte streams (PROTOCOL.md §3.2): WEBSOCKET (the agent performs the caller's upgrade
 * against its target, ws or wss, and splices the raw connection: {@link WebSocketUpgrade}) and TCP
 * (a named {@code -tcp} target, connected only when a client arrives). Both are spliced by
 * {@link Splice} under the stream's flow control. Name lookups and TLS handshakes run on a small
 * daemon pool, never on the tunnel's reader thread; plain connections are then driven without blocking.
 */
public final class RawStreams {
    private static final Logger log = LoggerFactory.getLogger(RawStreams.class);
    private static final ExecutorService WORKERS = workers();

    /** Resolves a target host, applying the agent's deny rules (the hook for {@code -deny}). */
    @FunctionalInterface
    public interface Resolver {
        InetAddress resolve(String host, boolean operatorChosen) throws UnknownHostException;
    }

    private final AgentConfig config;
    private final ScheduledExecutorService scheduler;
    private final Resolver resolver;
    private final WebSocketUpgrade webSocket;

    public RawStreams(AgentConfig config, ScheduledExecutorService scheduler) {
        this(config, scheduler, policyResolver(config));
    }

    RawStreams(AgentConfig config, ScheduledExecutorService scheduler, Resolver resolver) {
        this.config = config;
        this.scheduler = scheduler;
        this.resolver = resolver;
        this.webSocket = new WebSocketUpgrade(config, scheduler, resolver, WORKERS);
    }

    /** The agent's -deny policy; a -tcp target's host is trusted like -server's (only explicit rules apply). */
    static Resolver policyResolver(AgentConfig config) {
        AddressPolicy policy = AddressPolicy.forAgent(config);
        return (host, operatorChosen) -> (operatorChosen ? policy.trusting(host) : policy).resolve(host)[0];
    }

    public static boolean supports(StreamKind kind) {
        return kind == StreamKind.WEBSOCKET || kind == StreamKind.TCP;
    }

    /** Starts a stream of {@code kind} ({@link #supports} must be true). Never blocks. */
    public StreamHandler open(StreamKind kind, RequestHead head, boolean endStream, TunnelStream stream) {
        return kind == StreamKind.TCP ? openTcp(head, stream) : webSocket.open(head, stream);
    }

    // ------------------------------------------------------------------ TCP

    private StreamHandler openTcp(RequestHead head, TunnelStream stream) {
        String name = head.target();
        String spec = config.tcpTargets().get(name);
        Splice splice = new Splice(stream, "tcp " + name);
        if (config.tcpTargets().isEmpty()) {
            // PROTOCOL.md §3.2: a receiver that does not support a kind refuses it (another agent may)
            splice.abandon();
            stream.reset(ErrorCode.REFUSED_STREAM, "this agent exposes no tcp targets (-tcp name=host:port)");
            return splice;
        }
        if (spec == null) {
            splice.abandon();
            stream.reset(ErrorCode.CONNECT_ERROR, "unknown tcp target '" + name + "' (this agent has: "
                    + (config.tcpTargets().isEmpty() ? "none" : String.join(", ", config.tcpTargets().keySet())) + ")");
            return splice;
        }
        HostPort hp = HostPort.parse(spec);
        WORKERS.execute(() -> connectTcp(name, hp, splice, stream));
        return splice;
    }

    private void connectTcp(String name, HostPort hp, Splice splice, TunnelStream stream) {
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(resolver.resolve(hp.host(), true), hp.port());
        } catch (DeniedAddressException e) {
            stream.reset(ErrorCode.POLICY_VIOLATION, e.getMessage());
            return;
        } catch (UnknownHostException e) {
            stream.reset(ErrorCode.CONNECT_ERROR, "cannot resolve " + hp.host() + ": " + e.getMessage());
            return;
        }
        AsynchronousSocketChannel ch;
        try {
            ch = AsynchronousSocketChannel.open();
        } catch (IOException e) {
            stream.reset(ErrorCode.CONNECT_ERROR, "cannot open a socket: " + e.getMessage());
            return;
        }
        if (!splice.setUp(ch)) {
            return; // reset during the name lookup
        }
        ScheduledFuture<?> timer = scheduler.schedule(() -> close(ch), config.localConnectTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        ch.connect(address, null, new CompletionHandler<Void, Void>() {
            @Override
            public void completed(Void v, Void attachment) {
                timer.cancel(false);
                if (splice.isClosed()) {
                    close(ch);
                    return;
                }
                log.debug("Stream {}: tcp target '{}' connected to {}", stream.id(), name, address);
                stream.reply(new ResponseHead(200, "OK", Headers.EMPTY), false);
                splice.start(Duplex.of(ch), null);
            }

            @Override
            public void failed(Throwable exc, Void attachment) {
                timer.cancel(false);
                close(ch);
                if (splice.isClosed()) {
                    log.debug("Stream {}: reset while connecting to tcp target '{}'", stream.id(), name);
                    return;
                }
                String why = exc instanceof java.nio.channels.AsynchronousCloseException
                        ? "timed out after " + config.localConnectTimeout().toMillis() + " ms" : String.valueOf(exc.getMessage());
                log.info("Stream {}: tcp target '{}' ({}) refused: {}", stream.id(), name, hp, why);
                stream.reset(ErrorCode.CONNECT_ERROR, "connect to " + hp + " failed: " + why);
            }
        });
    }

    // ------------------------------------------------------------------ WebSocket

    /** The upgrade request {@link WebSocketUpgrade} sends toward the target. */
    static String requestHead(RequestHead head, Target.Forward f, int port, boolean tls) {
        return WebSocketUpgrade.requestHead(head, f, port, tls);
    }

    private static void close(AsynchronousSocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private static ExecutorService workers() {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "wstunnel-stream-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        return pool;
    }

    /** {@code -tcp name=host:port}: the host:port half. */
    public record HostPort(String host, int port) {
        /** @throws IllegalArgumentException unless {@code host:port} (IPv6 in brackets), port 1..65535 */
        public static HostPort parse(String s) {
            int colon = s.lastIndexOf(':');
            if (colon <= 0 || colon == s.length() - 1) {
                throw new IllegalArgumentException("expected host:port, got '" + s + "'");
            }
            String host = s.substring(0, colon);
            int port;
            try {
                port = Integer.parseInt(s.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad port in '" + s + "'");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port out of range in '" + s + "'");
            }
            if (host.contains(":") && !(host.startsWith("[") && host.endsWith("]"))) {
                throw new IllegalArgumentException("IPv6 addresses go in brackets: '" + s + "'");
            }
            return new HostPort(host, port);
        }

        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /**
     * Parses repeated {@code -tcp name=host:port} values.
     *
     * @throws IllegalArgumentException on a malformed value or a repeated name
     */
    public static Map<String, String> parseTcpTargets(List<String> values) {
        Map<String, String> out = new java.util.TreeMap<>();
        if (values == null) {
            return out;
        }
        for (String v : values) {
            int eq = v.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("-tcp expects name=host:port, got '" + v + "'");
            }
            String name = v.substring(0, eq).trim();
            if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new IllegalArgumentException("-tcp name '" + name + "' must be 1-64 letters, digits, '.', '_' or '-'");
            }
            HostPort hp = HostPort.parse(v.substring(eq + 1).trim());
            if (out.put(name, hp.toString()) != null) {
                throw new IllegalArgumentException("-tcp name '" + name + "' given twice");
            }
        }
        return out;
    }

}
