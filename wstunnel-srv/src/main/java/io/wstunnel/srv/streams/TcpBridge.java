package io.wstunnel.srv.streams;

import io.undertow.websockets.core.AbstractReceiveListener;
import io.undertow.websockets.core.BufferedBinaryMessage;
import io.undertow.websockets.core.BufferedTextMessage;
import io.undertow.websockets.core.CloseMessage;
import io.undertow.websockets.core.WebSocketCallback;
import io.undertow.websockets.core.WebSocketChannel;
import io.undertow.websockets.core.WebSockets;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.srv.tunnel.OwnedCallerStream;
import io.wstunnel.srv.tunnel.Tunnel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.IoUtils;
import org.xnio.Options;
import org.xnio.Pooled;

/**
 * A web client's WebSocket on {@code /_tcp/<name>}, accepted by the server itself and carried to the
 * agent as a TCP stream (PROTOCOL.md §3.2, {@code target} = the name). The agent connects to the
 * named target only now; REPLY 200 starts the flow, a RESET closes the WebSocket with 1011 and the
 * agent's reason. Client messages (binary; text as its UTF-8 bytes) become the target's input; the
 * target's bytes come back as binary messages. Either side leaving ends the other.
 *
 * <p>Owner: the WebSocket's IO thread; REPLIED (with 200) is the open connection. Memory: at most one
 * client message beyond the send window is held (receives are suspended while it waits), and at most
 * the receive window toward the client. The caller got its 101 before the stream started, so the request
 * log reports 101 whatever happens next, with the close code the server sent ({@link StreamLog}).
 */
public final class TcpBridge extends OwnedCallerStream {
    private static final Logger log = LoggerFactory.getLogger(TcpBridge.class);
    /** Largest client message accepted (1009 beyond). */
    static final int MAX_MESSAGE = 1024 * 1024;

    private final WebSocketChannel channel;
    private final String name;
    private final long pingMillis;

    private int refusals;
    private final ArrayDeque<ByteBuffer> toAgent = new ArrayDeque<>();
    private boolean agentEnded;
    private int inFlightToClient;
    private final StreamLog streamLog;

    /** @param target the caller's target, {@code /_tcp/<name>} and its query, for the request log */
    public TcpBridge(WebSocketChannel channel, Tunnel tunnel, RequestHead head, String requestId, long timeoutMillis,
                     long pingMillis, int receiveWindow, io.wstunnel.srv.http.RequestLog requestLog, String target) {
        super(channel.getIoThread(), tunnel, head, requestId, timeoutMillis, receiveWindow);
        this.channel = channel;
        this.streamLog = new StreamLog(requestLog, requestId, tunnel, target, channel.getSourceAddress());
        this.name = head.target();
        this.pingMillis = pingMillis;
    }

    /** Call on the channel's IO thread, right after the handshake. */
    public void start() {
        streamLog.started();
        // Like a passthrough, the stream is long-lived: the caller read timeout (slow-body protection)
        // would cut an idle TCP session (ssh) before the first keep-alive PING; the PINGs (and their
        // write failures) watch the client instead.
        try {
            channel.setOption(Options.READ_TIMEOUT, 0);
        } catch (IOException | IllegalArgumentException e) {
            log.debug("tcp {}: could not lift the read timeout: {}", requestId(), e.toString());
        }
        channel.addCloseTask(ch -> owner().execute(() -> clientGone("WebSocket closed")));
        channel.getReceiveSetter().set(new Receiver());
        if (!StreamRoutes.someAgentSupports(tunnel(), StreamKind.TCP)) {
            close(1011, "no agent of this tunnel can carry TCP streams");
            return;
        }
        startTimeout();
        submit();
    }

    // ------------------------------------------------------------------ CallerStream (any thread)

    @Override
    public StreamKind kind() {
        return StreamKind.TCP;
    }

    @Override
    public boolean hasBody() {
        return true;
    }

    // ------------------------------------------------------------------ owner thread

    @Override
    protected void writable() {
        pumpToAgent();
    }

    @Override
    protected void failed(int status, String reason) {
        close(1011, reason);
    }

    @Override
    protected void queueFull() {
        close(1013, "too many requests in-flight on this tunnel");
    }

    @Override
    protected void timedOut() {
        close(1011, "tcp target timeout: no answer from the agent within " + timeoutMillis() + " ms");
    }

    @Override
    protected String unwantedReason() {
        return "client gone";
    }

    @Override
    protected boolean routeAgain(String reason) {
        return refusals++ < WebSocketPassthrough.MAX_REFUSALS;
    }

    @Override
    protected void replied(ResponseHead h, boolean endStream) {
        if (h.status() != 200) {
            close(1011, "tcp target refused: " + h.status() + " " + h.reason());
            return;
        }
        agentEnded = endStream;
        log.debug("tcp {} to '{}' connected", requestId(), name);
        channel.resumeReceives();
        schedulePing();
        if (agentEnded) {
            close(1000, "tcp target closed the connection");
        }
    }

    private void clientMessage(ByteBuffer bytes) {
        if (phase() == Phase.DONE) {
            return;
        }
        if (bytes.hasRemaining()) {
            toAgent.add(bytes);
        }
        pumpToAgent();
    }

    private void pumpToAgent() {
        if (phase() != Phase.REPLIED || stream() == null) {
            return;
        }
        while (!toAgent.isEmpty()) {
            int room = agentRoom();
            if (room == 0) {
                channel.suspendReceives(); // onWritable() resumes
                return;
            }
            ByteBuffer b = toAgent.peek();
            ByteBuffer part = take(b, room);
            streamLog.in(part.remaining());
            stream().sendData(part, false);
            if (!b.hasRemaining()) {
                toAgent.poll();
            }
        }
        channel.resumeReceives();
    }

    @Override
    protected void data(ByteBuffer data, boolean endStream) {
        int n = data.remaining();
        if (n > 0) {
            inFlightToClient += n;
            WebSockets.sendBinary(data, channel, new WebSocketCallback<Void>() {
                @Override
                public void complete(WebSocketChannel ch, Void context) {
                    sent(n);
                }

                @Override
                public void onError(WebSocketChannel ch, Void context, Throwable throwable) {
                    clientGone("send failed: " + throwable);
                }
            });
        }
        if (endStream) {
            agentEnded = true;
            if (inFlightToClient == 0) {
                close(1000, "tcp target closed the connection");
            }
        }
    }

    /** WebSocket send callback (IO thread): the client's socket took {@code n} bytes. */
    private void sent(int n) {
        inFlightToClient -= n;
        streamLog.out(n);
        if (phase() != Phase.REPLIED) {
            return;
        }
        credit(n, agentEnded);
        if (agentEnded && inFlightToClient == 0) {
            close(1000, "tcp target closed the connection");
        }
    }

    @Override
    protected void reset(ErrorCode code, String reason) {
        if (phase() == Phase.OPENED) {
            String what = code == ErrorCode.CONNECT_ERROR ? "tcp target refused: "
                    : code == ErrorCode.REFUSED_STREAM ? "agent refused the tcp stream: " : "tcp stream failed (" + code + "): ";
            close(code == ErrorCode.POLICY_VIOLATION ? 1008 : 1011, what + reason);
        } else {
            close(1011, "tcp connection broken: " + reason);
        }
    }

    private void schedulePing() {
        owner().executeAfter(() -> {
            if (phase() == Phase.REPLIED && channel.isOpen()) {
                WebSockets.sendPing(ByteBuffer.allocate(0), channel, null);
                schedulePing();
            }
        }, pingMillis, TimeUnit.MILLISECONDS);
    }

    private void clientGone(String why) {
        if (phase() == Phase.DONE) {
            return;
        }
        log.debug("tcp {} client gone: {}", requestId(), why);
        finish(0);
        IoUtils.safeClose(channel);
    }

    /** Ends the stream (RESET toward the agent if it is still open) and closes the WebSocket. */
    private void close(int code, String reason) {
        if (phase() == Phase.DONE) {
            return;
        }
        log.debug("tcp {} to '{}' closing: {} {}", requestId(), name, code, reason);
        finish(code);
        WebSockets.sendClose(code, clip(reason), channel, null);
        owner().executeAfter(() -> IoUtils.safeClose(channel), 5, TimeUnit.SECONDS);
    }

    /**
     * Ends the stream (RESET toward the agent if it is still open); no client bytes go to it after.
     *
     * @param closeCode the close the server is sending the client, 0 when the client left first
     */
    private void finish(int closeCode) {
        end("client left");
        toAgent.clear();
        streamLog.completed(101, closeCode);
    }

    /** A close reason must fit a control frame: 123 bytes of UTF-8. */
    static String clip(String reason) {
        byte[] b = reason.getBytes(StandardCharsets.UTF_8);
        if (b.length <= 123) {
            return reason;
        }
        String s = reason;
        while (s.getBytes(StandardCharsets.UTF_8).length > 120) {
            s = s.substring(0, s.length() - 1);
        }
        return s + "...";
    }

    private final class Receiver extends AbstractReceiveListener {
        @Override
        protected long getMaxBinaryBufferSize() {
            return MAX_MESSAGE;
        }

        @Override
        protected long getMaxTextBufferSize() {
            return MAX_MESSAGE;
        }

        @Override
        protected void onFullBinaryMessage(WebSocketChannel ch, BufferedBinaryMessage message) {
            Pooled<ByteBuffer[]> data = message.getData();
            ByteBuffer merged;
            try {
                merged = WebSockets.mergeBuffers(data.getResource());
            } finally {
                data.free();
            }
            clientMessage(merged);
        }

        @Override
        protected void onFullTextMessage(WebSocketChannel ch, BufferedTextMessage message) {
            clientMessage(ByteBuffer.wrap(message.getData().getBytes(StandardCharsets.UTF_8)));
        }

        @Override
        protected void onCloseMessage(CloseMessage cm, WebSocketChannel ch) {
            if (phase() == Phase.DONE) {
                return;
            }
            log.debug("tcp {} client closed: {} {}", requestId(), cm.getCode(), cm.getReason());
            finish(0); // the client left: the agent closes the target connection
        }

        @Override
        protected void onError(WebSocketChannel ch, Throwable error) {
            clientGone("error: " + error);
            super.onError(ch, error);
        }
    }
}
