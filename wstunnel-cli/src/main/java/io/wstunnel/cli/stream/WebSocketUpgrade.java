package io.wstunnel.cli.stream;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.local.Target;
import io.wstunnel.cli.net.DeniedAddressException;
import io.wstunnel.cli.net.TlsContexts;
import io.wstunnel.cli.tunnel.StreamHandler;
import io.wstunnel.cli.tunnel.TunnelStream;
import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RedactedTarget;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A WEBSOCKET stream (PROTOCOL.md §3.2): the agent performs the caller's upgrade against its target
 * (ws: a non-blocking channel; wss: a blocking socket and TLS), then REPLYs the target's 101 and
 * splices the raw connection, or relays the target's refusal.
 *
 * <p>Each upgrade runs on one worker thread, never the tunnel's reader thread. The connection being
 * set up is registered with {@link Splice#setUp} before its first blocking step, so a RESET or the
 * tunnel's loss closes it at once and that step fails; {@link Splice#start} refuses a connection whose
 * stream was reset meanwhile, so nothing is relayed after a RESET.
 */
final class WebSocketUpgrade {
    /** Under RawStreams' name: log settings for the byte streams (and AgentUpgradeResetTest) select it. */
    private static final Logger log = LoggerFactory.getLogger(RawStreams.class);
    private static final List<String> NOT_FORWARDED = List.of("X-Host", "Host", "Content-Length", "Transfer-Encoding");

    private final AgentConfig config;
    private final ScheduledExecutorService scheduler;
    private final RawStreams.Resolver resolver;
    /** Runs the upgrades, and the blocking reads and writes of wss connections. */
    private final ExecutorService workers;

    WebSocketUpgrade(AgentConfig config, ScheduledExecutorService scheduler, RawStreams.Resolver resolver,
            ExecutorService workers) {
        this.config = config;
        this.scheduler = scheduler;
        this.resolver = resolver;
        this.workers = workers;
    }

    /** Starts the upgrade toward the stream's target on a worker. Never blocks. */
    StreamHandler open(RequestHead head, TunnelStream stream) {
        Splice splice = new Splice(stream, "ws " + RedactedTarget.of(head.target()));
        Target target = Target.resolve(head.headers().first("X-Host"), config.server(), config.hostPattern(), head.target());
        if (target instanceof Target.Refuse) {
            Target.Refuse r = (Target.Refuse) target;
            splice.abandon();
            replyText(stream, r.status(), r.message());
            return splice;
        }
        Target.Forward f = (Target.Forward) target;
        workers.execute(() -> upgrade(head, f, splice, stream));
        return splice;
    }

    private void upgrade(RequestHead head, Target.Forward f, Splice splice, TunnelStream stream) {
        boolean tls = f.scheme().equals("https");
        int port = f.port() > 0 ? f.port() : tls ? 443 : 80;
        String where = (tls ? "wss://" : "ws://") + f.host() + ":" + port + f.path();
        String shown = RedactedTarget.of(where); // for the log: no query values
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
                timer = scheduler.schedule(() -> closeQuietly(c), config.localResponseTimeout().toMillis(), TimeUnit.MILLISECONDS);
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
                log.info("Stream {}: {} refused the upgrade: {} {}", stream.id(), shown, r.status, r.reason);
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
            log.debug("Stream {}: upgraded to {} ({})", stream.id(), shown, r.headers.first("Sec-WebSocket-Protocol"));
            stream.reply(reply, false);
            if (tls) {
                socket.setSoTimeout(0);
            }
            if (!splice.start(tls ? Duplex.of(socket, in, out, workers) : Duplex.of(channel), r.rest)) {
                log.debug("Stream {}: reset during the upgrade to {}: connection closed, nothing relayed", stream.id(), shown);
            }
        } catch (DeniedAddressException e) {
            closeQuietly(socket, channel);
            log.info("Stream {}: WebSocket target {} refused: {}", stream.id(), shown, e.getMessage());
            replyText(stream, 403, "wstunnel cli: " + e.publicReason());
        } catch (Exception e) {
            closeQuietly(socket, channel);
            if (splice.isClosed()) {
                log.debug("Stream {}: reset during the upgrade to {}: connection closed", stream.id(), shown);
                return;
            }
            String why = e instanceof TimeoutException ? "timed out" : io.wstunnel.cli.net.LocalFailure.describe(e);
            log.info("Stream {}: WebSocket upgrade toward {} failed: {}", stream.id(), shown, why);
            replyText(stream, 502, "wstunnel cli: WebSocket target " + where + " failed: " + why);
        } finally {
            if (timer != null) {
                timer.cancel(false);
            }
        }
    }

    /** Hands {@code c} to the splice, whose RESET closes it; throws if the stream is already reset. */
    private static void settingUp(Splice splice, Closeable c) throws IOException {
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

    private static void replyText(TunnelStream stream, int status, String message) {
        byte[] b = (message + "\n").getBytes(StandardCharsets.UTF_8);
        stream.reply(new ResponseHead(status, "", io.wstunnel.cli.tunnel.AgentResponse.textHeaders(b.length)), false);
        stream.data(ByteBuffer.wrap(b), true);
    }

    private static String stripBrackets(String host) {
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    private static void closeQuietly(Socket s, AsynchronousSocketChannel ch) {
        if (s != null) {
            closeQuietly(s);
        }
        if (ch != null) {
            closeQuietly(ch);
        }
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
