package io.wstunnel.srv.legacy;

import io.wstunnel.protocol.legacy.LegacyWriter;
import io.wstunnel.srv.tunnel.Tunnel;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The requests of one legacy socket: the table by id and the FIFO of those waiting for the socket's
 * single outbound message slot. Every {@link LegacyStream.Phase} transition is made here.
 *
 * <p>Not thread-safe, and no lock of its own: every method is called with the owning
 * {@link LegacySession}'s monitor held. Invariants: a request in the FIFO is in the table and
 * WAITING; a request leaves the table once closed (answered, failed or dropped by its caller).
 */
final class LegacyRequests {
    private final Map<Integer, LegacyStream> streams = new HashMap<>();
    private final ArrayDeque<LegacyStream> waiting = new ArrayDeque<>();

    /** Requests not finished (waiting, sending or awaiting a response). */
    int size() {
        return streams.size();
    }

    int waitingCount() {
        return waiting.size();
    }

    /** Requests stuck behind the slot count twice. */
    int load() {
        return streams.size() + waiting.size();
    }

    /** @return a free id of the token's sequence, or -1 */
    int allocateId(Tunnel tunnel) {
        for (int i = 0; i < 32_000; i++) {
            int id = LegacyIdCounters.next(tunnel);
            if (!streams.containsKey(id)) {
                return id;
            }
        }
        return -1;
    }

    /** A new request: WAITING, at the end of the FIFO. */
    void add(LegacyStream s) {
        streams.put(s.id(), s);
        waiting.add(s);
    }

    boolean isHeadRequest(int id) {
        LegacyStream s = streams.get(id);
        return s != null && s.headRequest;
    }

    /** @return the request a response message with this id answers, or null if there is none to answer */
    LegacyStream replyTarget(int id) {
        LegacyStream s = streams.get(id);
        if (s != null && (s.closed || s.phase == LegacyStream.Phase.WAITING || s.phase == LegacyStream.Phase.RESPONDING)) {
            return null;
        }
        return s;
    }

    /** WAITING → SENDING: the head of the FIFO takes the slot. @return it, or null if none waits */
    LegacyStream nextToSend() {
        LegacyStream s = waiting.poll();
        if (s == null) {
            return null;
        }
        s.phase = LegacyStream.Phase.SENDING;
        s.lastProgressNanos = System.nanoTime();
        if (s.framing == LegacyWriter.BodyFraming.NONE) {
            s.bodyEnded = true;
        }
        return s;
    }

    /** SENDING → SENT: its whole message is on the socket. */
    void sent(LegacyStream s) {
        if (s.phase == LegacyStream.Phase.SENDING) {
            s.phase = LegacyStream.Phase.SENT;
        }
    }

    /** SENDING or SENT → RESPONDING: its response head arrived. */
    void responding(LegacyStream s) {
        if (s.phase == LegacyStream.Phase.SENDING || s.phase == LegacyStream.Phase.SENT) {
            s.phase = LegacyStream.Phase.RESPONDING;
        }
    }

    /** → DONE: its response message ended (or could not be parsed). */
    void done(LegacyStream s) {
        s.phase = LegacyStream.Phase.DONE;
    }

    /** Ends the body of an upload early (see {@link LegacyStream#cutBody()}); a waiting request leaves the FIFO. */
    void abortUpload(LegacyStream s) {
        if (s.phase == LegacyStream.Phase.WAITING) {
            waiting.remove(s);
        }
        s.cutBody();
    }

    /**
     * The request is finished for this side: later replies for its id are ignored; one still
     * waiting becomes DONE.
     *
     * @return true if no request is left
     */
    boolean forget(LegacyStream s) {
        s.closed = true;
        if (s.phase == LegacyStream.Phase.WAITING) {
            waiting.remove(s);
            s.phase = LegacyStream.Phase.DONE;
        }
        if (streams.get(s.id()) == s) {
            streams.remove(s.id());
        }
        return streams.isEmpty();
    }

    /** The socket is gone: closes every request, sorting the open ones into never sent and in flight. */
    void closeAll(List<LegacyStream> unsent, List<LegacyStream> lost) {
        for (LegacyStream s : streams.values()) {
            if (s.closed) {
                continue;
            }
            s.closed = true;
            (s.phase == LegacyStream.Phase.WAITING ? unsent : lost).add(s);
        }
        streams.clear();
        waiting.clear();
    }
}
