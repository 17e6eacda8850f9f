package io.wstunnel.cli.tunnel;

import io.wstunnel.cli.AgentConfig;
import io.wstunnel.cli.stream.RawStreams;
import io.wstunnel.protocol.BodyLength;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.ProtocolException;
import io.wstunnel.protocol.ReceiveWindow;
import io.wstunnel.protocol.Settings;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.protocol.WindowBudget;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's stream table and the server's stream-id rules (PROTOCOL.md §3.2). Guarded by the
 * session monitor, no lock of its own; only {@link #start} runs outside it (it calls handlers).
 */
final class StreamTable {
    private static final Logger log = LoggerFactory.getLogger(TunnelSession.class);

    private final AgentConfig config;
    /** Receive-window growth shared by this tunnel's streams (PROTOCOL.md §3.6.1). */
    private final WindowBudget windowBudget;
    private final StreamHandlerFactory factory;
    /** WEBSOCKET and TCP streams (the factory serves HTTP). */
    private final RawStreams rawStreams;
    private final Map<Integer, TunnelStream> streams = new HashMap<>();
    private int lastStreamId;   // highest server stream id accepted for processing (GOAWAY's last-stream-id)
    private int highestSeenId;  // highest server stream id seen at all (ids must increase)

    StreamTable(AgentConfig config, StreamHandlerFactory factory, ScheduledExecutorService scheduler) {
        this.config = config;
        this.windowBudget = new WindowBudget(config.windowBudget());
        this.factory = factory;
        this.rawStreams = new RawStreams(config, scheduler);
    }

    /**
     * Takes up a server-opened stream id, whatever becomes of its OPEN. {@code accepting}: the
     * session is OPEN, so the id becomes GOAWAY's last-stream-id.
     */
    void claim(int id, boolean accepting) {
        if ((id & 1) == 0 || id <= highestSeenId) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR,
                    "OPEN with stream id " + id + " after " + highestSeenId + " (server ids are odd and increasing)");
        }
        highestSeenId = id;
        if (accepting) {
            lastStreamId = id;
        }
    }

    int lastStreamId() {
        return lastStreamId;
    }

    /**
     * A server OPEN: claims its id, then either refuses it (RESET REFUSED_STREAM, returns null) or
     * enters its stream, whose handler {@link #start} attaches. {@code accepting}: the session is OPEN.
     */
    TunnelStream accept(Frame.Open o, boolean accepting, TunnelSession session, FrameWriter writer, Settings peer) {
        int id = o.streamId();
        claim(id, accepting);
        String refusal = null;
        if (!accepting) {
            refusal = "agent is going away";
        } else if (streams.size() >= config.settings().maxConcurrentStreams()) {
            refusal = "too many concurrent streams";
        } else if (o.kind() != StreamKind.HTTP && !RawStreams.supports(o.kind())) {
            refusal = o.kind() + " streams are not supported by this agent";
        }
        if (refusal != null) {
            writer.send(new Frame.Reset(id, ErrorCode.REFUSED_STREAM, refusal));
            return null;
        }
        // An HTTP request body is exactly its Content-Length (PROTOCOL.md §3.2); raw streams carry bytes.
        BodyLength body = o.kind() == StreamKind.HTTP ? BodyLength.ofRequest(o.head().headers()) : BodyLength.unchecked();
        String wrong = body.receive(0, o.endStream());
        if (wrong != null) {
            log.debug("Stream {}: OPEN reset: {}", id, wrong);
            writer.send(new Frame.Reset(id, ErrorCode.PROTOCOL_ERROR, wrong));
            return null;
        }
        TunnelStream stream = new TunnelStream(id, session, writer, peer.initialWindow(), peer.maxFramePayload(),
                peer.maxHeadSize(), peer.replyBody(), config.settings().initialWindow(),
                new ReceiveWindow(config.settings().initialWindow(), config.maxStreamWindow(), windowBudget),
                o.endStream(), body);
        streams.put(id, stream);
        return stream;
    }

    /** Starts the local side of a stream {@link #accept}ed: called outside the session monitor. */
    void start(Frame.Open o, TunnelStream stream) {
        StreamHandler handler;
        try {
            handler = o.kind() == StreamKind.HTTP ? factory.open(o.head(), o.endStream(), stream)
                    : rawStreams.open(o.kind(), o.head(), o.endStream(), stream); // WEBSOCKET, TCP
        } catch (RuntimeException e) {
            log.warn("Stream {}: cannot start the local request: {}", o.streamId(), e.toString());
            stream.reset(ErrorCode.INTERNAL_ERROR, "agent failure: " + e.getMessage());
            return;
        }
        stream.attach(handler);
    }

    TunnelStream get(int id) {
        return streams.get(id);
    }

    /** Removes {@code stream} if it is still the one under its id. */
    void remove(TunnelStream stream) {
        if (streams.get(stream.id()) == stream) {
            streams.remove(stream.id());
        }
    }

    boolean isEmpty() {
        return streams.isEmpty();
    }

    int size() {
        return streams.size();
    }

    List<TunnelStream> snapshot() {
        return new ArrayList<>(streams.values());
    }

    /** Empties the table; returns what it held. */
    List<TunnelStream> clear() {
        List<TunnelStream> left = snapshot();
        streams.clear();
        return left;
    }
}
