package io.wstunnel.cli.legacy;

import static io.wstunnel.cli.legacy.LegacyAgentSession.log;

import io.wstunnel.cli.tunnel.KeepAlive;
import io.wstunnel.cli.tunnel.StreamHandler;
import io.wstunnel.cli.tunnel.StreamHandlerFactory;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.legacy.LegacyMessageParser;
import io.wstunnel.protocol.legacy.LegacyProtocolException;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

/**
 * The legacy session's {@link WebSocket.Listener}, on the WebSocket's (sequential) reader thread.
 * Each binary message is a 4-hex-digit id + an HTTP/1.1 request (LEGACY.md §1), fed fragment by
 * fragment to an incremental {@link LegacyMessageParser}; the request starts on the local side
 * ({@link StreamHandlerFactory#openHttp}) as soon as its head is parsed and its body streams on.
 * A malformed request is answered 400; a message without a valid id drops the socket. After each
 * part the session decides whether to read on (it pauses while request bodies wait locally).
 *
 * <p>Its fields are the reader thread's; session state is reached through the session's methods.
 */
final class LegacyReceiver implements WebSocket.Listener {
    private final LegacyAgentSession session;
    private final StreamHandlerFactory factory;
    private final KeepAlive keepAlive;
    private final String server;

    // reader thread only
    private LegacyMessageParser parser;
    private Reader reader;
    private boolean skipping;

    LegacyReceiver(LegacyAgentSession session, StreamHandlerFactory factory, KeepAlive keepAlive, String server) {
        this.session = session;
        this.factory = factory;
        this.keepAlive = keepAlive;
        this.server = server;
    }

    @Override
    public void onOpen(WebSocket socket) {
        session.opened();
        socket.request(1);
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
        keepAlive.touch();
        if (!skipping) {
            if (parser == null) {
                reader = new Reader();
                parser = new LegacyMessageParser(LegacyMessageParser.Kind.REQUEST,
                        LegacyMessageParser.DEFAULT_MAX_HEAD_SIZE, null, reader);
                reader.parser = parser;
            }
            try {
                parser.feed(data);
                if (last) {
                    parser.endOfMessage();
                }
            } catch (LegacyProtocolException e) {
                if (badMessage(e)) {
                    return null; // socket dropped
                }
                skipping = !last;
            }
        } else if (last) {
            skipping = false;
        }
        if (last) {
            parser = null;
            reader = null;
        }
        if (session.readOn()) {
            socket.request(1);
        }
        return null;
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
        log.warn("Text message from the legacy server {}: dropping the tunnel", server);
        session.drop("text message on a legacy tunnel");
        return null;
    }

    @Override
    public CompletionStage<?> onPing(WebSocket socket, ByteBuffer message) {
        keepAlive.touch(); // the JDK answers with a pong by itself
        socket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onPong(WebSocket socket, ByteBuffer message) {
        keepAlive.pong();
        socket.request(1);
        return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
        log.debug("Legacy server {} closed the tunnel: {} {}", server, statusCode, reason);
        session.drop("closed by server (" + statusCode + (reason == null || reason.isEmpty() ? "" : " " + reason) + ")");
        return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
        session.drop("error: " + error);
    }

    /** @return true when the socket was dropped */
    private boolean badMessage(LegacyProtocolException e) {
        if (e.kind() == LegacyProtocolException.Kind.BAD_ID) {
            log.warn("Legacy server {} sent a message without a valid request id: dropping the tunnel ({})", server,
                    e.getMessage());
            session.drop("bad request id");
            return true;
        }
        log.warn("Legacy request {}: malformed ({}): answering 400", e.id(), e.getMessage());
        LegacyExchange x = reader == null ? null : reader.exchange;
        if (x == null && e.id() >= 0) {
            x = new LegacyExchange(session, e.id(), false);
            if (!session.register(x)) {
                return false;
            }
        }
        if (x != null) {
            StreamHandler h = x.handler;
            if (h != null) {
                h.onReset(ErrorCode.PROTOCOL_ERROR, "malformed request");
            }
            x.replyText(400, "Bad Request", "wstunnel cli: malformed request: " + e.getMessage());
            x.reset(ErrorCode.PROTOCOL_ERROR, "malformed request");
        }
        return false;
    }

    /** Parses one request message; one per message. */
    private final class Reader implements LegacyMessageParser.Listener {
        LegacyMessageParser parser;
        LegacyExchange exchange;
        boolean bodyFollows;

        @Override
        public void onRequestHead(int id, RequestHead head, String version) {
            LegacyExchange x = new LegacyExchange(session, id, "HEAD".equals(head.method()));
            if (!session.register(x)) {
                return;
            }
            exchange = x;
            if (session.draining()) {
                x.replyText(503, "Service Unavailable", "wstunnel cli: agent shutting down");
                return;
            }
            boolean end = parser.framing() == LegacyMessageParser.Framing.NONE;
            bodyFollows = !end;
            log.debug("Legacy request {}: {} {}", id, head.method(), io.wstunnel.protocol.RedactedTarget.of(head.target()));
            try {
                x.handler = factory.openHttp(head, end, x);
            } catch (RuntimeException e) {
                log.warn("Legacy request {}: cannot start the local request: {}", id, e.toString());
                x.replyText(502, "Bad Gateway", "wstunnel cli: agent failure: " + e.getMessage());
            }
        }

        @Override
        public void onBody(ByteBuffer chunk) {
            LegacyExchange x = exchange;
            StreamHandler h = x == null ? null : x.handler;
            int n = chunk.remaining();
            if (h == null || n == 0 || !session.bodyHandedOut(x, n)) {
                return;
            }
            ByteBuffer copy = ByteBuffer.allocate(n);
            copy.put(chunk).flip();
            h.onData(copy, false);
        }

        @Override
        public void onEnd() {
            LegacyExchange x = exchange;
            StreamHandler h = x == null ? null : x.handler;
            if (h != null && bodyFollows) {
                h.onData(ByteBuffer.allocate(0), true);
            }
        }
    }
}
