package io.wstunnel.srv.limits;

import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.srv.ServerConfig;
import io.wstunnel.srv.TunnelServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Shared helpers: a server with given limits, raw HTTP, a serving agent that records what it gets. */
final class Support {
    static final String TOKEN_A = "limits-token-aaaaaaaaaaaa";
    static final String TOKEN_B = "limits-token-bbbbbbbbbbbb";

    private Support() {
    }

    static TunnelServer server(Consumer<Limits.Builder> limits) {
        Limits.Builder l = Limits.builder();
        limits.accept(l);
        return TunnelServer.start(ServerConfig.builder().host("127.0.0.1").port(0)
                .httpTimeout(Duration.ofSeconds(10)).limits(l.build()).build());
    }

    record Response(int status, String head, String body) {
        String header(String name) {
            for (String line : head.split("\r\n")) {
                int c = line.indexOf(':');
                if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase(name)) {
                    return line.substring(c + 1).trim();
                }
            }
            return null;
        }
    }

    /** Sends raw bytes on a new connection and reads one response (status -1: closed without one). */
    static Response raw(int port, byte[] request) throws IOException {
        return raw(port, null, request);
    }

    static Response raw(int port, String localAddress, byte[] request) throws IOException {
        try (Socket s = new Socket()) {
            if (localAddress != null) {
                s.bind(new InetSocketAddress(localAddress, 0));
            }
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write(request);
            return read(s.getInputStream());
        }
    }

    static Response raw(int port, String request) throws IOException {
        return raw(port, request.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** Reads one response with a Content-Length body (or up to EOF). */
    static Response read(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int b;
            try {
                b = in.read();
            } catch (IOException e) {
                b = -1;
            }
            if (b < 0) {
                return new Response(-1, head.toString(StandardCharsets.ISO_8859_1), "");
            }
            head.write(b);
            state = (b == '\r' && (state == 0 || state == 2)) || (b == '\n' && (state == 1 || state == 3)) ? state + 1 : b == '\r' ? 1 : 0;
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int status = Integer.parseInt(h.substring(9, 12));
        Response r = new Response(status, h, "");
        String cl = r.header("Content-Length");
        byte[] body = cl == null ? new byte[0] : in.readNBytes(Integer.parseInt(cl));
        return new Response(status, h, new String(body, StandardCharsets.UTF_8));
    }

    static String get(String token, String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\nX-Token: " + token + "\r\n\r\n";
    }

    /** Answers every OPEN with 200 "ok" and records it, on a daemon thread, until the agent closes. */
    static List<Frame.Open> serve(WsAgent agent) {
        List<Frame.Open> opens = new CopyOnWriteArrayList<>();
        Thread t = new Thread(() -> {
            try {
                while (!agent.closed.isDone()) {
                    Frame f = agent.frames.poll(100, java.util.concurrent.TimeUnit.MILLISECONDS);
                    if (f instanceof Frame.Open o) {
                        opens.add(o);
                        agent.send(new Frame.Reply(o.streamId(), new ResponseHead(200, "", Headers.of("Content-Type", "text/plain")), false));
                        agent.send(new Frame.Data(o.streamId(), ByteBuffer.wrap("ok".getBytes(StandardCharsets.UTF_8)), true));
                    }
                }
            } catch (Exception ignored) {
                // the test is over
            }
        }, "serving-agent");
        t.setDaemon(true);
        t.start();
        return opens;
    }
}
