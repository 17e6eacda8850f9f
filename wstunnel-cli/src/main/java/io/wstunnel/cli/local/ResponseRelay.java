package io.wstunnel.cli.local;

import io.wstunnel.cli.tunnel.ExchangeStream;
import io.wstunnel.protocol.FrameCodec;
import io.wstunnel.protocol.Header;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.EntityDetails;
import org.apache.hc.core5.http.HttpResponse;
import org.apache.hc.core5.http.nio.AsyncResponseConsumer;
import org.apache.hc.core5.http.nio.CapacityChannel;
import org.apache.hc.core5.http.protocol.HttpContext;

/**
 * Streams the local response to the tunnel: REPLY on the head, then DATA as bytes arrive, only
 * within the server's window and while the tunnel writer has room.
 *
 * <p>Invariant (guarded by {@code this}): HttpClient's input window for the message starts at its
 * H1Config initial window (64 KiB) and shrinks by every byte it hands us; we give capacity back only
 * for bytes that left {@code pending} for the tunnel. So {@code pendingBytes} stays below that
 * initial window plus one read, and HttpClient stops reading from the local service while the
 * server's window or the writer's byte cap holds DATA back. Lock order: this → TunnelStream → writer.
 */
final class ResponseRelay implements AsyncResponseConsumer<Void> {
    private final ExchangeStream stream;
    private final HttpExchange exchange;
    private final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
    private long pendingBytes;
    private boolean ended;
    private boolean endSent;
    private boolean waitingWritable;
    private CapacityChannel capacity;
    private long drainedUnsignalled; // bytes sent on since the last capacity update
    private FutureCallback<Void> result;
    /** A small response's head, held until its first body bytes arrive (sent together, see pump). */
    private ResponseHead heldHead;
    private long heldLength;

    /** Heads of responses with a Content-Length up to this are held for their body (PROTOCOL.md §3.3). */
    static final int HOLD_LIMIT = 32 * 1024;

    ResponseRelay(ExchangeStream stream, HttpExchange exchange) {
        this.stream = stream;
        this.exchange = exchange;
    }

    @Override
    public void consumeResponse(HttpResponse response, EntityDetails entity, HttpContext context,
            FutureCallback<Void> resultCallback) throws IOException {
        List<Header> fields = new ArrayList<>();
        for (org.apache.hc.core5.http.Header h : response.getHeaders()) {
            fields.add(new Header(h.getName(), h.getValue()));
        }
        String reason = response.getReasonPhrase() == null ? "" : response.getReasonPhrase();
        Headers headers = new Headers(fields);
        if (headers.contains("Transfer-Encoding")) {
            // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length and a proxy must drop it; HttpClient
            // decodes the chunks, so a Content-Length kept here would promise the caller other bytes.
            headers = headers.without(List.of("Content-Length"));
        }
        ResponseHead head = new ResponseHead(response.getCode(), reason, headers.withoutHopByHop());
        if (!stream.fits(head)) {
            // fails the exchange before its head: the caller gets a 502 instead of the tunnel dying
            throw new IOException("response head too large for the tunnel");
        }
        if (!exchange.headArrived()) {
            return; // timed out or reset meanwhile
        }
        boolean noBody = entity == null;
        long length = noBody ? -1 : entity.getContentLength();
        if (length > 0 && length <= HOLD_LIMIT) {
            synchronized (this) {
                heldHead = head;
                heldLength = length;
                result = resultCallback;
            }
            return; // the body follows the head at once: pump() sends both in one frame
        }
        stream.reply(head, noBody);
        if (noBody) {
            exchange.completed();
            resultCallback.completed(null);
            return;
        }
        synchronized (this) {
            result = resultCallback;
        }
        pump();
    }

    /** A response made by the agent itself (403, 502): same flow-controlled path as a local body. */
    void sendLocal(ResponseHead head, byte[] body) {
        stream.reply(head, body.length == 0);
        if (body.length == 0) {
            return;
        }
        synchronized (this) {
            pending.add(ByteBuffer.wrap(body));
            pendingBytes += body.length;
            ended = true;
        }
        pump();
    }

    @Override
    public void informationResponse(HttpResponse response, HttpContext context) {
        // 1xx other than 101 are not forwarded (PROTOCOL.md §3.3).
    }

    @Override
    public void updateCapacity(CapacityChannel channel) throws IOException {
        synchronized (this) {
            capacity = channel;
            grant();
        }
    }

    @Override
    public void consume(ByteBuffer src) {
        int n = src.remaining();
        if (n == 0) {
            return;
        }
        // room for the DATA header in front: TunnelStream.data then frames the bytes without a copy
        ByteBuffer copy = ByteBuffer.allocate(FrameCodec.HEADER_SIZE + n).position(FrameCodec.HEADER_SIZE);
        copy.put(src).position(FrameCodec.HEADER_SIZE);
        synchronized (this) {
            pending.add(copy);
            pendingBytes += n;
        }
        pump();
    }

    @Override
    public void streamEnd(List<? extends org.apache.hc.core5.http.Header> trailers) {
        synchronized (this) {
            ended = true;
        }
        pump();
    }

    @Override
    public void failed(Exception cause) {
        exchange.fail(cause);
    }

    @Override
    public void releaseResources() {
    }

    /** Moves pending bytes to the tunnel as far as credit allows; re-run on WINDOW_UPDATE or writer drain. */
    void pump() {
        boolean finishedNow = false;
        boolean park = false;
        FutureCallback<Void> done = null;
        synchronized (this) {
            if (endSent) {
                return;
            }
            if (heldHead != null) {
                if (!ended && (pendingBytes == 0 || pendingBytes == heldLength)) {
                    return; // nothing yet, or complete: streamEnd comes next in the same read
                }
                sendHeld();
            }
            while (!pending.isEmpty()) {
                int credit = stream.sendCredit();
                if (credit == 0) {
                    break;
                }
                ByteBuffer b = pending.peek();
                int n = Math.min(b.remaining(), credit);
                // A whole, untouched chunk keeps its spare header room (see consume) and is framed in
                // place; a part must not expose room that holds bytes of a frame still queued.
                boolean whole = n == b.remaining() && b.position() == FrameCodec.HEADER_SIZE;
                ByteBuffer part = whole ? b.duplicate() : b.slice();
                part.limit(whole ? b.limit() : n);
                b.position(b.position() + n);
                if (!b.hasRemaining()) {
                    pending.poll();
                }
                pendingBytes -= n;
                drainedUnsignalled += n;
                boolean last = ended && pending.isEmpty();
                stream.data(part, last);
                endSent = last;
            }
            if (ended && pending.isEmpty() && !endSent) {
                stream.data(ByteBuffer.allocate(0), true);
                endSent = true;
            }
            if (endSent) {
                finishedNow = true;
                done = result;
                result = null;
            } else if (!pending.isEmpty() && !stream.isClosed() && !stream.windowExhausted()) {
                // blocked by the writer's byte cap, not by the window: wait for it to drain
                park = !waitingWritable;
                waitingWritable = true;
            } else {
                grant();
            }
        }
        if (park) {
            stream.whenWritable(() -> {
                synchronized (this) {
                    waitingWritable = false;
                }
                pump();
            });
        }
        if (finishedNow) {
            exchange.completed();
            if (done != null) {
                done.completed(null);
            }
        }
    }

    /**
     * Sends the held head with the body bytes pending so far (all of them, with END_STREAM, when the
     * body has ended), or alone if the stream cannot take them in one frame. Caller holds this lock.
     */
    private void sendHeld() {
        ResponseHead head = heldHead;
        heldHead = null;
        ByteBuffer body;
        if (pending.size() == 1) {
            body = pending.peek().slice();
        } else {
            body = ByteBuffer.allocate((int) pendingBytes);
            for (ByteBuffer b : pending) {
                body.put(b.duplicate());
            }
            body.flip();
        }
        int n = body.remaining();
        if (stream.replyWithBody(head, body, ended)) {
            pending.clear();
            pendingBytes = 0;
            drainedUnsignalled += n;
            endSent = ended;
        } else {
            stream.reply(head, false);
        }
    }

    /** Gives HttpClient back the capacity of the bytes sent on. Caller holds this lock. */
    private void grant() {
        if (capacity == null || endSent || drainedUnsignalled == 0) {
            return;
        }
        int increment = (int) Math.min(Integer.MAX_VALUE, drainedUnsignalled);
        drainedUnsignalled -= increment;
        try {
            capacity.update(increment);
        } catch (IOException e) {
            exchange.fail(e);
        }
    }
}
