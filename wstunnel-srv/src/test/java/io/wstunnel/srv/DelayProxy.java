package io.wstunnel.srv;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A loopback TCP proxy that delivers every chunk {@code delayMillis} after it arrived, in both
 * directions: a long path with plenty of bandwidth. One connection at a time is enough for the tests;
 * {@link #close()} stops everything.
 */
final class DelayProxy implements AutoCloseable {
    private static final byte[] EOF = new byte[0];
    private final ServerSocket server;
    private final int targetPort;
    private final long delayNanos;
    private volatile boolean closed;
    private volatile Socket a;
    private volatile Socket b;

    DelayProxy(int targetPort, long delayMillis) throws IOException {
        this.server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.delayNanos = TimeUnit.MILLISECONDS.toNanos(delayMillis);
        Thread t = new Thread(this::accept, "delay-proxy");
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        try {
            a = server.accept();
            b = new Socket(InetAddress.getLoopbackAddress(), targetPort);
            pipe(a, b);
            pipe(b, a);
        } catch (IOException e) {
            if (!closed) {
                e.printStackTrace();
            }
        }
    }

    private void pipe(Socket from, Socket to) {
        BlockingQueue<Object[]> due = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            byte[] buf = new byte[256 * 1024];
            try {
                InputStream in = from.getInputStream(); // not closed here: that would close the socket both ways
                int n;
                while ((n = in.read(buf)) >= 0) {
                    due.add(new Object[] {System.nanoTime() + delayNanos, Arrays.copyOf(buf, n)});
                }
            } catch (IOException e) {
                // closed
            }
            due.add(new Object[] {System.nanoTime() + delayNanos, EOF});
        }, "delay-proxy-read");
        Thread writer = new Thread(() -> {
            try {
                OutputStream out = to.getOutputStream();
                while (!closed) {
                    Object[] item = due.poll(1, TimeUnit.SECONDS);
                    if (item == null) {
                        continue;
                    }
                    long wait = (long) item[0] - System.nanoTime();
                    if (wait > 0) {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    }
                    byte[] data = (byte[]) item[1];
                    if (data == EOF) {
                        to.shutdownOutput();
                        return;
                    }
                    out.write(data);
                }
            } catch (IOException | InterruptedException e) {
                // closed
            }
        }, "delay-proxy-write");
        reader.setDaemon(true);
        writer.setDaemon(true);
        reader.start();
        writer.start();
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : new Socket[] {a, b}) {
            if (s != null) {
                s.close();
            }
        }
    }
}
