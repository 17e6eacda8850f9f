package io.wstunnel.cli.stream;

import io.wstunnel.cli.tunnel.StreamHandler;
import io.wstunnel.cli.tunnel.TunnelStream;
import io.wstunnel.protocol.ErrorCode;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splices a tunnel stream (after its REPLY) with a local connection: target bytes go up as DATA
 * within the stream's send window, DATA from the server is written to the target and credited
 * back only once written. Either direction's end is passed on as a half-close; the connection is
 * closed once both have ended, or at once on RESET.
 *
 * <p>It is also the owner of the local side before {@link #start}: the connection being set up
 * (connect, TLS handshake, WebSocket upgrade) is registered with {@link #setUp}, so a RESET or the
 * tunnel's loss closes it at once and the blocked setup fails; once abandoned, whatever the setup
 * still produces is closed on arrival ({@link #setUp} and {@link #start} return false).
 *
 * <p>Memory per stream: one read buffer plus at most our INITIAL_WINDOW of queued DATA (the server
 * cannot send more without credit). Lock order: this → the TunnelStream (never the reverse: the
 * tunnel never calls a handler under its lock).
 */
class Splice implements StreamHandler {
    private static final Logger log = LoggerFactory.getLogger(Splice.class);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);
    static final int CHUNK = 64 * 1024;

    private final TunnelStream stream;
    private final String what;
    private Duplex duplex;
    /** The connection being set up, until {@link #start}; closing it never blocks. */
    private Closeable pending;
    private ByteBuffer readBuffer;
    private ByteBuffer leftover;
    private boolean closed;
    private boolean reading;
    private boolean upEnded;
    private final ArrayDeque<ByteBuffer> down = new ArrayDeque<>();
    private boolean writing;
    private boolean downEnded;
    private boolean outputShut;
    private long bytesUp;
    private long bytesDown;

    Splice(TunnelStream stream, String what) {
        this.stream = stream;
        this.what = what;
    }

    /**
     * Registers the connection being set up, which {@link #abandon} closes.
     *
     * @return false if the stream was already abandoned: {@code c} has been closed, give up
     */
    boolean setUp(Closeable c) {
        synchronized (this) {
            if (!closed) {
                pending = c;
                return true;
            }
        }
        closeQuietly(c);
        return false;
    }

    /**
     * Starts moving bytes; call after the REPLY was sent.
     *
     * @param first bytes already read from the target after its response head (may be null)
     * @return false if the stream was abandoned meanwhile: {@code d} has been closed, nothing relayed
     */
    boolean start(Duplex d, ByteBuffer first) {
        boolean abandoned;
        synchronized (this) {
            pending = null;
            abandoned = closed;
            if (!abandoned) {
                duplex = d;
                readBuffer = ByteBuffer.allocate(CHUNK);
                leftover = first != null && first.hasRemaining() ? first : null;
            }
        }
        if (abandoned) {
            d.close();
            return false;
        }
        readMore();
        writeMore();
        return true;
    }

    /** Closes the local side, whether set up, being set up or not yet begun; idempotent. */
    void abandon() {
        Duplex d;
        Closeable p;
        synchronized (this) {
            closed = true;
            d = duplex;
            p = pending;
            pending = null;
            down.clear();
        }
        if (p != null) {
            closeQuietly(p);
        }
        if (d != null) {
            d.close();
        }
    }

    synchronized boolean isClosed() {
        return closed;
    }

    // ------------------------------------------------------------ target → tunnel

    private void readMore() {
        boolean waitWriter = false;
        ByteBuffer buf;
        Duplex d;
        synchronized (this) {
            while (true) {
                if (closed || duplex == null || reading || upEnded) {
                    return;
                }
                int credit = stream.sendCredit();
                if (credit == 0) {
                    if (stream.windowExhausted()) {
                        return; // onWindowUpdate() resumes
                    }
                    waitWriter = true;
                    buf = null;
                    break;
                }
                if (leftover != null) {
                    int n = Math.min(credit, leftover.remaining());
                    ByteBuffer part = leftover.slice();
                    part.limit(n);
                    leftover.position(leftover.position() + n);
                    if (!leftover.hasRemaining()) {
                        leftover = null;
                    }
                    bytesUp += n;
                    stream.data(part, false);
                    continue;
                }
                reading = true;
                buf = readBuffer;
                buf.clear().limit(Math.min(credit, CHUNK));
                break;
            }
            d = duplex;
        }
        if (waitWriter) {
            stream.whenWritable(this::readMore);
            return;
        }
        d.read(buf, new Duplex.Completion() {
            @Override
            public void done(int n) {
                synchronized (Splice.this) {
                    reading = false;
                    if (closed) {
                        return;
                    }
                    if (n < 0) {
                        upEnded = true;
                        stream.data(EMPTY, true);
                    } else if (n > 0) {
                        buf.flip();
                        bytesUp += n;
                        stream.data(buf, false);
                    }
                }
                if (n < 0) {
                    closeIfDone();
                } else {
                    readMore();
                }
            }

            @Override
            public void failed(Throwable error) {
                synchronized (Splice.this) {
                    reading = false;
                }
                broken("read from " + what + ": " + error);
            }
        });
    }

    // ------------------------------------------------------------ tunnel → target

    @Override
    public void onData(ByteBuffer payload, boolean endStream) {
        synchronized (this) {
            if (closed) {
                return;
            }
            if (payload.hasRemaining()) {
                down.add(payload);
            }
            downEnded |= endStream;
        }
        writeMore();
    }

    private void writeMore() {
        ByteBuffer buf;
        Duplex d;
        boolean shut = false;
        synchronized (this) {
            if (closed || duplex == null || writing) {
                return;
            }
            d = duplex;
            buf = down.peek();
            if (buf == null) {
                if (!downEnded || outputShut) {
                    return;
                }
                outputShut = true;
                shut = true;
            } else {
                writing = true;
            }
        }
        if (shut) {
            d.shutdownOutput();
            closeIfDone();
            return;
        }
        d.write(buf, new Duplex.Completion() {
            @Override
            public void done(int n) {
                synchronized (Splice.this) {
                    writing = false;
                    if (closed) {
                        return;
                    }
                    bytesDown += n;
                    if (!buf.hasRemaining()) {
                        down.poll();
                    }
                }
                stream.consumed(n);
                writeMore();
            }

            @Override
            public void failed(Throwable error) {
                synchronized (Splice.this) {
                    writing = false;
                }
                broken("write to " + what + ": " + error);
            }
        });
    }

    @Override
    public void onWindowUpdate() {
        readMore();
    }

    @Override
    public void onReset(ErrorCode code, String reason) {
        log.debug("Stream {} ({}) reset: {} {}", stream.id(), what, code, reason);
        abandon();
    }

    private void closeIfDone() {
        Duplex d;
        synchronized (this) {
            if (closed || !upEnded || !outputShut) {
                return;
            }
            closed = true;
            d = duplex;
        }
        log.debug("Stream {} ({}) done: {} bytes up, {} bytes down", stream.id(), what, bytesUp, bytesDown);
        d.close();
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing anyway
        }
    }

    private void broken(String why) {
        if (isClosed()) {
            return;
        }
        log.debug("Stream {} ({}) broken: {}", stream.id(), what, why);
        abandon();
        stream.reset(ErrorCode.UPSTREAM_ERROR, why.length() > 200 ? why.substring(0, 200) : why);
    }
}
