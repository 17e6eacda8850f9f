package io.wstunnel.cli.stream;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.local.Target;
import io.wstunnel.cli.net.AddressPolicy;
import io.wstunnel.cli.net.DeniedAddressException;
import io.wstunnel.cli.net.TlsContexts;
import io.wstunnel.cli.tunnel.StreamHandler;
import io.wstunnel.cli.tunnel.TunnelStream;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.StreamKind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.Channels;
import java.nio.channels.CompletionHandler;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's byte streams (PROTOCOL.md §3.2): WEBSOCKET (the agent performs the caller's upgrade
 * against its target, ws or wss, and splices the raw connection) and TCP (a named {@code -tcp}
 * target, connected only when a client arrives). Both are spliced by {@link Splice} under the
 * stream's flow control. Name lookups and TLS handshakes run on a small daemon pool, never on the
 * tunnel's reader thread; plain connections are then driven without blocking.
 */
public final class RawStreams {
    private static final Logger log = LoggerFactory.getLogger(RawStreams.class);
    private static final List<String> NOT_FORWARDED = List.of("X-Host", "Host", "Content-Length", "Transfer-Encoding");
    private static final ExecutorService WORKERS = workers();

    /** Resolves a target host, applying the agent's deny rules (the hook for {@code -deny}). */
    @FunctionalInterface
    public interface Resolver {
        InetAddress resolve(String host, boolean operatorChosen) throws UnknownHostException;
    }

    private final AgentConfig config;
    private final ScheduledExecutorService scheduler;
    private final Resolver resolver;

    public RawStreams(AgentConfig config, ScheduledExecutorService scheduler) {
        this(config, scheduler, policyResolver(config));
    }

    RawStreams(AgentConfig config, ScheduledExecutorService scheduler, Resolver resolver) {
        this.config = config;
        this.scheduler = scheduler;
        this.resolver = resolver;
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
        return kind == StreamKind.TCP ? openTcp(head, stream) : openWebSocket(head, stream);
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

    private StreamHandler openWebSocket(RequestHead head, TunnelStream stream) {
        Splice splice = new Splice(stream, "ws " + head.target());
        Target target = Target.resolve(head.headers().first("X-Host"), config.server(), config.hostPattern(), head.target());
        if (target instanceof Target.Refuse) {
            Target.Refuse r = (Target.Refuse) target;
            splice.abandon();
            replyText(stream, r.status(), r.message());
            return splice;
        }
        Target.Forward f = (Target.Forward) target;
        WORKERS.execute(() -> upgrade(head, f, splice, stream));
        return splice;
    }

    private void upgrade(RequestHead head, Target.Forward f, Splice splice, TunnelStream stream) {
        boolean tls = f.scheme().equals("https");
        int port = f.port() > 0 ? f.port() : tls ? 443 : 80;
        String where = (tls ? "wss://" : "ws://") + f.host() + ":" + port + f.path();
        Socket socket = null;
        AsynchronousSocketChannel channel = null;
        ScheduledFuture<?> timer = null;
        try {
            boolean trusted = config.server() != null && f.host().equalsIgnoreCase(config.server().getHost());
            InetSocketAddress address = new InetSocketAddress(resolver.resolve(f.host(), trusted), port);
            InputStream in;
            OutputStream out;
            long connectMs = config.localConnectTimeout().toMillis();
            if (tls) {
                Socket plain = new Socket();
                socket = plain;
                // the plain socket: closing it fails a blocked connect, handshake or read at once (no TLS close)
                settingUp(splice, plain);
                plain.connect(address, (int) connectMs);
                SSLSocketFactory factory = TlsContexts.create(config.insecure(), config.certFile()).getSocketFactory();
                SSLSocket ssl = (SSLSocket) factory.createSocket(socket, stripBrackets(f.host()), port, true);
                if (!config.insecure()) {
                    SSLParameters p = ssl.getSSLParameters();
                    p.setEndpointIdentificationAlgorithm("HTTPS");
                    ssl.setSSLParameters(p);
                }
                socket = ssl;
                socket.setSoTimeout((int) config.localResponseTimeout().toMillis());
                ssl.startHandshake();
                in = ssl.getInputStream();
                out = ssl.getOutputStream();
            } else {
                channel = AsynchronousSocketChannel.open();
                settingUp(splice, channel);
                channel.connect(address).get(connectMs, TimeUnit.MILLISECONDS);
                AsynchronousSocketChannel c = channel;
                timer = scheduler.schedule(() -> close(c), config.localResponseTimeout().toMillis(), TimeUnit.MILLISECONDS);
                in = Channels.newInputStream(channel);
                out = Channels.newOutputStream(channel);
            }
            out.write(requestHead(head, f, port, tls).getBytes(StandardCharsets.UTF_8));
            out.flush();
            UpgradeResponse r = UpgradeResponse.read(in);
            if (splice.isClosed()) {
                throw new IOException("stream reset during the upgrade");
            }
            if (r.status != 101) {
                byte[] body = r.readBody(in);
                log.info("Stream {}: {} refused the upgrade: {} {}", stream.id(), where, r.status, r.reason);
                closeQuietly(socket, channel);
                replyRefusal(stream, r, body);
                return;
            }
            if (timer != null) {
                timer.cancel(false);
            }
            ResponseHead reply = new ResponseHead(101, r.reason, r.headers.withoutHopByHop());
            if (!stream.fits(reply)) {
                throw new IOException("response head too large for the tunnel");
            }
            log.debug("Stream {}: upgraded to {} ({})", stream.id(), where, r.headers.first("Sec-WebSocket-Protocol"));
            stream.reply(reply, false);
            if (tls) {
                socket.setSoTimeout(0);
            }
            if (!splice.start(tls ? Duplex.of(socket, in, out, WORKERS) : Duplex.of(channel), r.rest)) {
                log.debug("Stream {}: reset during the upgrade to {}: connection closed, nothing relayed", stream.id(), where);
            }
        } catch (DeniedAddressException e) {
            closeQuietly(socket, channel);
            replyText(stream, 403, "wstunnel cli: " + e.getMessage());
        } catch (Exception e) {
            closeQuietly(socket, channel);
            if (splice.isClosed()) {
                log.debug("Stream {}: reset during the upgrade to {}: connection closed", stream.id(), where);
                return;
            }
            String why = e instanceof TimeoutException ? "timed out" : e instanceof java.util.concurrent.ExecutionException
                    && e.getCause() != null ? e.getCause().toString() : e.toString();
            log.info("Stream {}: WebSocket upgrade toward {} failed: {}", stream.id(), where, why);
            replyText(stream, 502, "wstunnel cli: WebSocket target " + where + " failed: " + why);
        } finally {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }

    /** Hands {@code c} to the splice, whose RESET closes it; throws if the stream is already reset. */
    private static void settingUp(Splice splice, java.io.Closeable c) throws IOException {
        if (!splice.setUp(c)) {
            throw new IOException("stream reset during the upgrade");
        }
    }

    /** The upgrade request toward the target: the caller's end-to-end headers (key, protocols, extensions, origin, cookies). */
    static String requestHead(RequestHead head, Target.Forward f, int port, boolean tls) {
        StringBuilder sb = new StringBuilder(512);
        sb.append("GET ").append(f.path()).append(" HTTP/1.1\r\n");
        boolean defaultPort = port == (tls ? 443 : 80);
        sb.append("Host: ").append(f.host()).append(defaultPort ? "" : ":" + port).append("\r\n");
        sb.append("Upgrade: websocket\r\nConnection: Upgrade\r\n");
        for (Header h : head.headers().withoutHopByHop().without(NOT_FORWARDED).fields()) {
            if (h.name().indexOf('\r') >= 0 || h.name().indexOf('\n') >= 0 || h.value().indexOf('\r') >= 0
                    || h.value().indexOf('\n') >= 0) {
                continue;
            }
            sb.append(h.name()).append(": ").append(h.value()).append("\r\n");
        }
        return sb.append("\r\n").toString();
    }

    private static void replyRefusal(TunnelStream stream, UpgradeResponse r, byte[] body) {
        Headers h = r.headers.withoutHopByHop().without(List.of("Content-Length", "Transfer-Encoding"));
        // Cut to what the server's window takes (the refusal body is read whole first, at most 64 KiB);
        // the head's Content-Length then states what is actually sent.
        int window = Math.max(0, stream.windowAvailable());
        byte[] b = body.length > window ? java.util.Arrays.copyOf(body, window) : body;
        ResponseHead head = new ResponseHead(r.status, r.reason, h.with("Content-Length", String.valueOf(b.length)));
        if (!stream.fits(head)) {
            replyText(stream, 502, "wstunnel cli: the target's refusal head is too large for the tunnel");
            return;
        }
        if (b.length == 0) {
            stream.reply(head, true);
            return;
        }
        stream.reply(head, false);
        stream.data(ByteBuffer.wrap(b), true);
    }

    static void replyText(TunnelStream stream, int status, String message) {
        byte[] b = (message + "\n").getBytes(StandardCharsets.UTF_8);
        stream.reply(new ResponseHead(status, "", Headers.of("Content-Type", "text/plain; charset=utf-8",
                "Content-Length", String.valueOf(b.length))), false);
        stream.data(ByteBuffer.wrap(b), true);
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static void close(AsynchronousSocketChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private static void closeQuietly(Socket s, AsynchronousSocketChannel ch) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
        if (ch != null) {
            close(ch);
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
