package io.wstunnel.srv.streams;

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.srv.http.PlainText;
import io.wstunnel.srv.http.ResponseHeads;
import io.wstunnel.srv.tunnel.OwnedCallerStream;
import io.wstunnel.srv.tunnel.Tunnel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.Options;
import org.xnio.StreamConnection;
import org.xnio.conduits.ConduitStreamSinkChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;

/**
 * A caller's {@code Upgrade: websocket} request carried as a WEBSOCKET stream (PROTOCOL.md §3.2).
 * The agent performs the upgrade against its target; its answer is the caller's answer. On 101 the
 * caller's connection is taken over from HTTP ({@link HttpServerExchange#upgradeChannel}) and raw bytes
 * (the WebSocket frames themselves: close codes, ping/pong and extensions pass untouched) flow both
 * ways as DATA under the stream's flow control. Any other status is sent as a normal response.
 *
 * <p>Owner: the exchange's IO thread; every tunnel event is posted there, so fields need no lock.
 * State: the routing {@link Phase} and, once REPLIED, the caller side's {@link Mode}.
 * Memory per stream: one read buffer toward the agent, at most the receive window toward the caller.
 * Keep-alive PINGs toward the caller are {@link WsKeepAlive}'s; a refusal's body is {@link RefusalBody}'s;
 * the request log lines and audit record are {@link StreamLog}'s: every path to DONE reports
 * {@link #status} (or 499 if the caller left before its answer).
 */
public final class WebSocketPassthrough extends OwnedCallerStream {
    private static final Logger log = LoggerFactory.getLogger(WebSocketPassthrough.class);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    /** A refusal's body is buffered whole (the agent caps it far lower). */
    static final int MAX_REFUSAL_BODY = 1024 * 1024;
    /** REFUSED_STREAM answers after which the caller is told no agent carries WebSocket streams. */
    static final int MAX_REFUSALS = 3;

    /** The caller's side once REPLIED; null before, while the caller waits for its HTTP answer. */
    enum Mode { UPGRADING, SPLICING, REFUSAL_BODY }

    private final HttpServerExchange exchange;

    private Mode mode;
    private int refusals;
    private StreamConnection connection;
    private ConduitStreamSourceChannel source;
    private ConduitStreamSinkChannel sink;
    private ByteBuffer readBuffer;
    private boolean callerEnded;
    /** Agent bytes not yet written to the caller (UPGRADING or SPLICING). */
    private final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
    private boolean agentEnded;
    /** Non-null only in REFUSAL_BODY. */
    private RefusalBody refusal;
    /** What the caller got once known: the agent's answer (101 or the refusal's), or the server's. */
    private int status;
    private final WsKeepAlive keepAlive;
    private final StreamLog streamLog;

    public WebSocketPassthrough(HttpServerExchange exchange, Tunnel tunnel, RequestHead head, String requestId,
                                long timeoutMillis, int receiveWindow, io.wstunnel.srv.http.RequestLog requestLog) {
        this(exchange, tunnel, head, requestId, timeoutMillis, receiveWindow, StreamRoutes.wsPingMillis(), requestLog);
    }

    /** @param pingMillis caller-bound idle time after which a keep-alive PING is injected; 0 disables */
    public WebSocketPassthrough(HttpServerExchange exchange, Tunnel tunnel, RequestHead head, String requestId,
                                long timeoutMillis, int receiveWindow, long pingMillis,
                                io.wstunnel.srv.http.RequestLog requestLog) {
        super(exchange.getIoThread(), tunnel, head, requestId, timeoutMillis, receiveWindow);
        this.exchange = exchange;
        this.streamLog = new StreamLog(requestLog, requestId, tunnel, head.target(), exchange.getSourceAddress());
        this.keepAlive = new WsKeepAlive(owner(), pingMillis, () -> in(Mode.SPLICING) && !agentEnded,
                pending::isEmpty, this::pumpToCaller);
    }

    /** Starts routing; call on the owner thread inside a dispatched exchange. */
    public void start() {
        streamLog.started();
        exchange.addExchangeCompleteListener((ex, next) -> {
            if (phase() == Phase.QUEUED || phase() == Phase.OPENED) {
                callerGone("exchange ended early");
            }
            next.proceed();
        });
        if (!StreamRoutes.someAgentSupports(tunnel(), StreamKind.WEBSOCKET)) {
            failNow(502, "No agent of this tunnel can carry WebSocket streams (legacy agents carry HTTP only)");
            return;
        }
        startTimeout();
        submit();
    }

    // ------------------------------------------------------------------ CallerStream (any thread)

    @Override
    public StreamKind kind() {
        return StreamKind.WEBSOCKET;
    }

    @Override
    public boolean hasBody() {
        return true; // the caller's frames follow the 101
    }

    // ------------------------------------------------------------------ owner thread

    @Override
    protected void writable() {
        pumpToAgent();
    }

    @Override
    protected void failed(int status, String reason) {
        failNow(status, reason);
    }

    @Override
    protected void queueFull() {
        failNow(504, "too many requests in-flight, tunnel broken?");
    }

    @Override
    protected void timedOut() {
        failNow(504, "Tunnel timeout");
    }

    @Override
    protected boolean routeAgain(String reason) {
        return refusals++ < MAX_REFUSALS;
    }

    @Override
    protected void replied(ResponseHead h, boolean endStream) {
        status = h.status();
        HeaderMap out = ResponseHeads.apply(exchange, h);
        if (h.status() != 101) {
            // The target refused the upgrade: an ordinary response; its (small) body follows.
            log.debug("ws {} refused by the target: {}", requestId(), h.status());
            mode = Mode.REFUSAL_BODY;
            refusal = new RefusalBody();
            agentEnded = endStream;
            stream().sendData(EMPTY, true); // no caller bytes will follow
            if (endStream) {
                sendRefusal();
            }
            return;
        }
        if (endStream) {
            failNow(502, "Agent answered 101 but ended the stream");
            return;
        }
        mode = Mode.UPGRADING;
        out.put(Headers.UPGRADE, "websocket");
        exchange.upgradeChannel((conn, ex) -> spliceStarted(conn));
        exchange.endExchange();
    }

    private void sendRefusal() {
        end(null); // both sides have ended
        streamLog.out(refusal.send(exchange));
        streamLog.completed(status);
    }

    /** The 101 is on the wire: the caller's connection is ours now (its IO thread is the owner). */
    private void spliceStarted(StreamConnection conn) {
        if (!in(Mode.UPGRADING)) {
            IoUtils.safeClose(conn);
            return;
        }
        mode = Mode.SPLICING;
        connection = conn;
        source = conn.getSourceChannel();
        sink = conn.getSinkChannel();
        // A passthrough is long-lived by nature: the caller read timeout (slow-body protection) no longer
        // applies; each end sees WebSocket close/ping semantics from its own peer, and the keep-alive
        // PINGs below keep intermediaries from cutting an idle connection.
        try {
            conn.setOption(Options.READ_TIMEOUT, 0);
        } catch (IOException | IllegalArgumentException e) {
            log.debug("ws {}: could not lift the read timeout: {}", requestId(), e.toString());
        }
        source.suspendReads(); // drops a read-timeout timer armed during the HTTP phase
        readBuffer = ByteBuffer.allocate(Math.min(64 * 1024, stream().maxFramePayload()));
        source.setReadListener(ch -> pumpToAgent());
        sink.setWriteListener(ch -> pumpToCaller());
        conn.setCloseListener(ch -> callerGone("connection closed"));
        log.debug("ws {} upgraded, splicing", requestId());
        keepAlive.start();
        pumpToCaller();
        pumpToAgent();
    }

    /** Caller bytes → agent, while the stream has credit and the agent socket has room. */
    private void pumpToAgent() {
        if (!in(Mode.SPLICING) || callerEnded || stream() == null) {
            return;
        }
        try {
            while (true) {
                int room = agentRoom();
                if (room == 0) {
                    source.suspendReads(); // onWritable() resumes
                    return;
                }
                readBuffer.clear().limit(Math.min(room, readBuffer.capacity()));
                int n = source.read(readBuffer);
                if (!in(Mode.SPLICING) || stream() == null) {
                    return; // the read noticed the connection closing (callerGone ran)
                }
                if (n < 0) {
                    callerEnded = true;
                    source.suspendReads();
                    stream().sendData(EMPTY, true);
                    closeIfDone();
                    return;
                }
                if (n == 0) {
                    source.resumeReads();
                    return;
                }
                readBuffer.flip();
                streamLog.in(n);
                stream().sendData(readBuffer, false);
            }
        } catch (IOException e) {
            callerGone("read: " + e.getMessage());
        }
    }

    @Override
    protected void data(ByteBuffer data, boolean endStream) {
        if (mode == Mode.REFUSAL_BODY) {
            if (!refusal.add(data)) {
                end("refusal body too large");
                dropPending();
                IoUtils.safeClose(exchange.getConnection());
                streamLog.completed(status);
                return;
            }
            if (endStream) {
                sendRefusal();
            }
            return;
        }
        // UPGRADING or SPLICING: held until the caller's socket takes it
        if (data.hasRemaining()) {
            keepAlive.agentBytes(data);
            pending.add(data);
        }
        agentEnded |= endStream;
        pumpToCaller();
    }

    /** Agent bytes → caller; credits the agent for what the caller's socket took. */
    private void pumpToCaller() {
        if (!in(Mode.SPLICING)) {
            return;
        }
        try {
            if (!keepAlive.writePing(sink)) {
                sink.resumeWrites();
                return;
            }
            int took = 0;
            while (!pending.isEmpty()) {
                ByteBuffer b = pending.peek();
                took += sink.write(b);
                if (b.hasRemaining()) {
                    break;
                }
                pending.poll();
            }
            streamLog.out(took);
            credit(took, agentEnded);
            if (!pending.isEmpty()) {
                sink.resumeWrites();
                return;
            }
            if (!sink.flush()) {
                sink.resumeWrites();
                return;
            }
            sink.suspendWrites();
            if (agentEnded) {
                sink.shutdownWrites();
                sink.flush();
                closeIfDone();
            }
        } catch (IOException e) {
            callerGone("write: " + e.getMessage());
        }
    }

    private void closeIfDone() {
        if (callerEnded && agentEnded && pending.isEmpty() && in(Mode.SPLICING)) {
            finish();
        }
    }

    private void finish() {
        end(null); // both sides have ended
        keepAlive.stop();
        log.debug("ws {} finished: {} keep-alive pings", requestId(), keepAlive.pingsSent());
        IoUtils.safeClose(connection);
        streamLog.completed(101);
    }

    @Override
    protected void reset(ErrorCode code, String reason) {
        if (phase() == Phase.OPENED) {
            if (code == ErrorCode.REFUSED_STREAM) {
                failNow(502, "The agent does not accept WebSocket streams: " + reason);
            } else {
                failNow(502, "Tunnel stream failed: " + code + (reason.isEmpty() ? "" : " " + reason));
            }
            return;
        }
        log.debug("ws {} reset by the agent after the upgrade: {} {}", requestId(), code, reason);
        keepAlive.stop();
        end(null);
        dropPending();
        IoUtils.safeClose(connection != null ? connection : exchange.getConnection());
        streamLog.completed(status);
    }

    private void failNow(int code, String reason) {
        if (phase() == Phase.DONE) {
            return;
        }
        boolean answered = mode == null; // the caller still waits for its HTTP answer
        end(reason);
        keepAlive.stop();
        if (answered) {
            status = code;
            exchange.setPersistent(false);
            PlainText.send(exchange, code, reason);
        } else {
            IoUtils.safeClose(connection != null ? connection : exchange.getConnection());
        }
        streamLog.completed(status);
    }

    /** The caller went away: cancel the stream so the agent closes its side. */
    private void callerGone(String why) {
        if (phase() == Phase.DONE) {
            return;
        }
        log.debug("ws {} caller gone: {}", requestId(), why);
        end("caller went away");
        keepAlive.stop();
        dropPending();
        IoUtils.safeClose(connection != null ? connection : exchange.getConnection());
        streamLog.completed(mode == null ? 499 : status);
    }

    /** Lets go of agent bytes the caller will not get. */
    private void dropPending() {
        pending.clear();
        if (refusal != null) {
            refusal.discard();
        }
    }

    /** REPLIED with the caller's side in {@code m} (not DONE). */
    private boolean in(Mode m) {
        return phase() == Phase.REPLIED && mode == m;
    }
}
