package io.wstunnel.cli.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.util.concurrent.Executor;

/**
 * A byte connection toward a local target, driven by completions: at most one read and one write in
 * flight at a time (the {@link Splice} guarantees it). Completions run on some other thread.
 */
interface Duplex {

    interface Completion {
        /** @param n bytes moved; -1 on end of input (reads only) */
        void done(int n);

        void failed(Throwable error);
    }

    void read(ByteBuffer dst, Completion c);

    /** Writes some bytes of {@code src} (possibly not all). */
    void write(ByteBuffer src, Completion c);

    /** No more bytes toward the target (half-close); reads go on. */
    void shutdownOutput();

    void close();

    /** Non-blocking: an {@link AsynchronousSocketChannel} (plain TCP, ws://). */
    static Duplex of(AsynchronousSocketChannel ch) {
        return new Duplex() {
            @Override
            public void read(ByteBuffer dst, Completion c) {
                try {
                    ch.read(dst, null, handler(c));
                } catch (RuntimeException e) {
                    c.failed(e);
                }
            }

            @Override
            public void write(ByteBuffer src, Completion c) {
                try {
                    ch.write(src, null, handler(c));
                } catch (RuntimeException e) {
                    c.failed(e);
                }
            }

            @Override
            public void shutdownOutput() {
                try {
                    ch.shutdownOutput();
                } catch (IOException | RuntimeException e) {
                    close();
                }
            }

            @Override
            public void close() {
                try {
                    ch.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        };
    }

    private static CompletionHandler<Integer, Void> handler(Completion c) {
        return new CompletionHandler<>() {
            @Override
            public void completed(Integer n, Void attachment) {
                c.done(n);
            }

            @Override
            public void failed(Throwable exc, Void attachment) {
                c.failed(exc);
            }
        };
    }

    /** A blocking socket (TLS: wss://) whose reads and writes run on {@code executor} threads. */
    static Duplex of(Socket socket, InputStream in, OutputStream out, Executor executor) {
        return new Duplex() {
            @Override
            public void read(ByteBuffer dst, Completion c) {
                executor.execute(() -> {
                    int n;
                    try {
                        n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
                        if (n > 0) {
                            dst.position(dst.position() + n);
                        }
                    } catch (IOException | RuntimeException e) {
                        c.failed(e);
                        return;
                    }
                    c.done(n);
                });
            }

            @Override
            public void write(ByteBuffer src, Completion c) {
                executor.execute(() -> {
                    int n = src.remaining();
                    try {
                        if (src.hasArray()) {
                            out.write(src.array(), src.arrayOffset() + src.position(), n);
                            src.position(src.position() + n);
                        } else {
                            byte[] copy = new byte[n];
                            src.get(copy);
                            out.write(copy);
                        }
                        out.flush();
                    } catch (IOException | RuntimeException e) {
                        c.failed(e);
                        return;
                    }
                    c.done(n);
                });
            }

            @Override
            public void shutdownOutput() {
                try {
                    if (socket instanceof javax.net.ssl.SSLSocket) {
                        return; // TLS cannot half-close: the close of the whole splice ends it
                    }
                    socket.shutdownOutput();
                } catch (IOException e) {
                    close();
                }
            }

            @Override
            public void close() {
                try {
                    socket.close();
                } catch (IOException e) {
                    // closing anyway
                }
            }
        };
    }
}
