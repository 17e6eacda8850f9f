package io.wstunnel.srv.agent;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.ProtocolException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The streams of a {@link V2Session} and its stream ids: the server's own (odd, handed out in
 * order) and the agent's (even and increasing, PROTOCOL.md §3.2, never naming a stream here).
 *
 * <p>Guarded by the session's monitor: every method is called with it held, and the table takes no
 * lock of its own. The session decides when streams come and go; the table only keeps them.
 */
final class StreamTable {
    private final Map<Integer, V2Stream> streams = new HashMap<>();
    private int nextStreamId;
    private int lastAgentStreamId;
    /** Set once the last stream id is used: the socket closes with its last stream. */
    private boolean idsExhausted;
    private final Runnable onLastStreamGone;

    /** @param onLastStreamGone closes the socket once the ids ran out and no stream is left; run with the monitor held */
    StreamTable(int firstStreamId, Runnable onLastStreamGone) {
        this.nextStreamId = firstStreamId;
        this.onLastStreamGone = onLastStreamGone;
    }

    int size() {
        return streams.size();
    }

    boolean isEmpty() {
        return streams.isEmpty();
    }

    /** The live stream {@code id}, or null. */
    V2Stream get(int id) {
        return streams.get(id);
    }

    /** The id the next stream this server opens gets. */
    int nextId() {
        return nextStreamId;
    }

    /**
     * Adds a stream opened with {@link #nextId()}; the id is used up.
     *
     * @return true if it was the last id ({@link V2Session#LAST_STREAM_ID}): no stream is opened after it
     */
    boolean add(V2Stream s) {
        nextStreamId += 2;
        streams.put(s.id(), s);
        if (s.id() > V2Session.LAST_STREAM_ID - 2) {
            idsExhausted = true;
        }
        return idsExhausted;
    }

    /**
     * The stream is over (closed, its window growth returned); null if it was gone already. Once the
     * ids ran out, the last stream leaving here closes the socket.
     */
    V2Stream remove(int id) {
        V2Stream s = streams.remove(id);
        if (s != null) {
            s.closed = true;
            s.released();
        }
        if (idsExhausted && streams.isEmpty()) {
            onLastStreamGone.run();
        }
        return s;
    }

    /** A copy of the live streams. */
    List<V2Stream> all() {
        return new ArrayList<>(streams.values());
    }

    /** Empties the table for good (the socket is gone): every stream is marked closed. */
    List<V2Stream> removeAll() {
        List<V2Stream> lost = all();
        streams.clear();
        lost.forEach(s -> s.closed = true);
        return lost;
    }

    /**
     * Uses up the id of an agent OPEN, well-formed or not.
     *
     * @throws ProtocolException (connection PROTOCOL_ERROR) unless it is even and above the agent's previous one
     */
    void agentOpened(int id) {
        if (id % 2 != 0 || id <= lastAgentStreamId) {
            throw ProtocolException.connection(ErrorCode.PROTOCOL_ERROR, "agent opened stream " + id
                    + " (agent ids must be even and increasing)");
        }
        lastAgentStreamId = id;
    }

    /** The last stream id the agent used (for GOAWAY). */
    int lastAgentStreamId() {
        return lastAgentStreamId;
    }
}
