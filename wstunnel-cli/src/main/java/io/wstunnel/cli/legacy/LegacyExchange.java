package io.wstunnel.cli.legacy;

import io.wstunnel.cli.tunnel.ExchangeStream;
import io.wstunnel.cli.tunnel.StreamHandler;
import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.legacy.LegacyWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * One legacy request and its response message, as the local side sees it ({@link ExchangeStream}).
 * The response is ONE WebSocket message: id + HTTP/1.1 head + body, with {@code Content-Length} when
 * the local response had one, else chunked. Its bytes wait in {@link #out} until the
 * {@link LegacySender} lets this exchange own the socket's send side; {@link #sendCredit} caps what
 * one exchange buffers.
 *
 * <p>All state is guarded by the session's lock ({@link LegacyAgentSession#lock}); handler calls are
 * made outside it. Its bytes go out through the session's {@link LegacySender}.
 */
final class LegacyExchange implements ExchangeStream {
    enum Framing { NONE, LENGTH, CHUNKED }

    private final LegacyAgentSession session;
    private final LegacySender sender;
    private final int id;
    final boolean head;           // the request was HEAD: no response body whatever the headers say
    volatile StreamHandler handler; // set once the local exchange started (null for refusals made here)

    // guarded by session.lock
    final ArrayDeque<ByteBuffer> out = new ArrayDeque<>();
    long buffered;                // bytes in out
    long messageBytes;            // bytes of the message queued so far (head included)
    boolean replied;
    boolean ended;                // every byte of the message is in out (or was sent)
    boolean startedSending;       // some bytes left for the socket: the message can no longer be replaced
    boolean done;                 // last fragment sent, or abandoned
    boolean truncated;            // cut short (local failure, size limit): the server will see a broken message
    Framing framing = Framing.NONE;
    long requestBodyUnconsumed;   // request body bytes given to the handler and not yet consumed
    boolean requestEnded;
    Runnable writable;

    LegacyExchange(LegacyAgentSession session, int id, boolean head) {
        this.session = session;
        this.sender = session.sender;
        this.id = id;
        this.head = head;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public boolean isClosed() {
        synchronized (session.lock) {
            return done || truncated;
        }
    }

    @Override
    public boolean fits(ResponseHead h) {
        return true; // the legacy head has no size field; the message limit is checked as bytes are queued
    }

    @Override
    public void reply(ResponseHead h, boolean endStream) {
        Runnable abortLocal = null;
        synchronized (session.lock) {
            if (replied || done) {
                return;
            }
            replied = true;
            Headers headers = h.headers().without(java.util.List.of("Transfer-Encoding"));
            String cl = headers.first("Content-Length");
            long length = parseLength(cl);
            if (endStream || head) {
                framing = Framing.NONE;
            } else if (length >= 0) {
                framing = Framing.LENGTH;
            } else {
                framing = Framing.CHUNKED;
                headers = headers.without(java.util.List.of("Content-Length")).with("Transfer-Encoding", "chunked");
            }
            ByteBuffer bytes = LegacyWriter.responseHead(id, new ResponseHead(h.status(), h.reason(), headers));
            if (framing == Framing.LENGTH && length > LegacyWriter.MAX_MESSAGE_SIZE - bytes.remaining()) {
                // A Go server refuses (1009) a message above 100 MiB, which would kill the whole tunnel.
                abortLocal = abandonLocked();
                queueTextLocked(502, "Bad Gateway", "wstunnel cli: the local response (" + length
                        + " bytes) is too large for a legacy wstunnel server (at most 100 MiB per response)");
            } else {
                queueLocked(bytes);
                ended = endStream;
            }
        }
        runOutside(abortLocal);
        sender.pump();
    }

    @Override
    public int sendCredit() {
        synchronized (session.lock) {
            if (!replied || ended || done || truncated) {
                return 0;
            }
            return sender.creditFor(this);
        }
    }

    @Override
    public boolean windowExhausted() {
        return false; // no flow-control window: a zero credit always means "wait for whenWritable"
    }

    @Override
    public void data(ByteBuffer chunk, boolean endStream) {
        Runnable abortLocal = null;
        synchronized (session.lock) {
            if (!replied || ended || done) {
                return;
            }
            int n = chunk.remaining();
            if (framing != Framing.NONE && n > 0) {
                ByteBuffer b = framing == Framing.CHUNKED ? LegacyWriter.chunk(chunk) : chunk;
                if (messageBytes + b.remaining() + 5 > LegacyWriter.MAX_MESSAGE_SIZE) {
                    // Cut: ending the message early makes the Go server answer this one request with an error
                    // (506) instead of refusing the message and dropping the tunnel.
                    truncated = true;
                    ended = true;
                    abortLocal = handlerReset("response larger than 100 MiB cut for the legacy tunnel");
                    session.log.warn("Legacy request {}: local response exceeds 100 MiB, cut", id);
                } else {
                    queueLocked(b);
                }
            }
            if (endStream && !ended) {
                if (framing == Framing.CHUNKED) {
                    queueLocked(LegacyWriter.lastChunk());
                }
                ended = true;
            }
        }
        runOutside(abortLocal);
        sender.pump();
    }

    @Override
    public void consumed(int n) {
        session.consumed(this, n);
    }

    /** The local response failed after its head: end the message cut short, or replace it if nothing left yet. */
    @Override
    public void reset(ErrorCode code, String reason) {
        synchronized (session.lock) {
            if (done || ended) {
                return; // the whole message is already queued
            }
            if (!startedSending) {
                out.clear();
                sender.bufferedChanged(this, -buffered);
                buffered = 0;
                messageBytes = 0;
                replied = false;
                ended = false;
                truncated = false;
                queueTextLocked(502, "Bad Gateway", "wstunnel cli: local response failed: " + reason);
            } else {
                truncated = true;
                ended = true;
            }
        }
        sender.pump();
    }

    @Override
    public void whenWritable(Runnable r) {
        boolean now;
        synchronized (session.lock) {
            if (done || ended) {
                return; // nothing more is accepted: the local side was (or is being) stopped
            }
            now = sender.creditFor(this) > 0;
            if (!now) {
                writable = r;
            }
        }
        if (now) {
            session.execute(r);
        }
    }

    /** A response made here (refusal, parse error, shutdown). */
    void replyText(int status, String reason, String text) {
        synchronized (session.lock) {
            if (replied || done) {
                return;
            }
            queueTextLocked(status, reason, text);
        }
        sender.pump();
    }

    private void queueTextLocked(int status, String reason, String text) {
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        Headers h = io.wstunnel.cli.tunnel.AgentResponse.textHeaders(body.length);
        replied = true;
        framing = Framing.LENGTH;
        queueLocked(LegacyWriter.responseHead(id, new ResponseHead(status, reason, h)));
        queueLocked(ByteBuffer.wrap(body));
        ended = true;
    }

    private void queueLocked(ByteBuffer b) {
        int n = b.remaining();
        if (n == 0) {
            return;
        }
        out.add(b);
        buffered += n;
        messageBytes += n;
        sender.bufferedChanged(this, n);
        sender.readyLocked(this);
    }

    /** Stops the local exchange (its handler) and forgets its writable callback. Caller holds the lock. */
    private Runnable abandonLocked() {
        writable = null;
        return handlerReset("response refused by the legacy tunnel");
    }

    private Runnable handlerReset(String why) {
        StreamHandler h = handler;
        return h == null ? null : () -> h.onReset(ErrorCode.CANCEL, why);
    }

    private void runOutside(Runnable r) {
        if (r != null) {
            session.execute(r);
        }
    }

    private static long parseLength(String v) {
        if (v == null) {
            return -1;
        }
        try {
            long n = Long.parseLong(v.trim());
            return n >= 0 ? n : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
