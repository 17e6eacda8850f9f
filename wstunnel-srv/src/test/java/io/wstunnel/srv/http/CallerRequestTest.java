package io.wstunnel.srv.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.protocol.ErrorCode;
import io.wstunnel.protocol.Frame;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import io.wstunnel.protocol.StreamKind;
import io.wstunnel.srv.FrameAgent;
import io.wstunnel.srv.ServerPerTest;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link CallerRequest} on a real server, driven by a raw-frame agent: request bodies of requests routed again. */
class CallerRequestTest extends ServerPerTest {
    static final String TOKEN = "caller-request-token-0123456789";

    static Socket caller(int port, String request) throws Exception {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(10_000);
        s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
        return s;
    }

    /** The status line of the response on {@code s}. */
    static String statusLine(Socket s) throws Exception {
        StringBuilder line = new StringBuilder();
        for (int b; (b = s.getInputStream().read()) >= 0 && b != '\r'; ) {
            line.append((char) b);
        }
        return line.toString();
    }

    /**
     * A request whose chunked body is empty and ended, refused by the agent (REFUSED_STREAM) and so
     * sent again: the new stream gets its END_STREAM too, and the request completes.
     */
    @Test
    void anEmptyChunkedBodyEndsAgainOnTheStreamOfARetry() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN);
             Socket c = caller(server.port(), "POST /_token/" + TOKEN + "/up HTTP/1.1\r\nHost: x\r\n"
                     + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")) {
            Frame.Open first = agent.next(Frame.Open.class);
            assertThat(first.endStream()).isFalse();
            assertThat(agent.next(Frame.Data.class).endStream()).isTrue();
            agent.send(new Frame.Reset(first.streamId(), ErrorCode.REFUSED_STREAM, "busy"));

            Frame.Open second = agent.next(Frame.Open.class);
            assertThat(second.head().target()).isEqualTo("/up");
            Frame.Data end = agent.next(Frame.Data.class);
            assertThat(end.streamId()).isEqualTo(second.streamId());
            assertThat(end.endStream()).isTrue();
            assertThat(end.length()).isZero();
            agent.send(new Frame.Reply(second.streamId(), new ResponseHead(201, "", Headers.EMPTY), true));
            assertThat(statusLine(c)).isEqualTo("HTTP/1.1 201 Created");
        }
    }

    /**
     * A request whose body read was armed when its stream was handed back unprocessed (GOAWAY below
     * its id) waits in the queue with its reads suspended: body bytes arriving meanwhile cost no
     * IO-thread CPU, and are sent once the request has a stream again.
     */
    @Test
    void aRequestQueuedAgainDoesNotSpinItsIoThreadAndSendsItsBodyLater() throws Exception {
        try (FrameAgent agent = FrameAgent.connect(server.port(), TOKEN);
             Socket c = caller(server.port(), "POST /_token/" + TOKEN + "/later HTTP/1.1\r\nHost: x\r\n"
                     + "Content-Length: 10\r\n\r\n")) {
            agent.next(Frame.Open.class); // its body not sent yet: the server waits for body bytes
            agent.send(new Frame.GoAway(0, ErrorCode.NO_ERROR, "leaving")); // not processed: queued again
            // The answer to a later frame shows the GOAWAY was handled, and so the hand-back posted to
            // the request's thread before its body bytes can arrive there.
            agent.send(new Frame.Open(2, StreamKind.HTTP, new RequestHead("GET", "/", "x", "http", Headers.EMPTY), true));
            assertThat(agent.next(Frame.Reset.class).streamId()).isEqualTo(2);
            c.getOutputStream().write("0123456789".getBytes(StandardCharsets.ISO_8859_1));

            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long before = ioThreadCpuNanos(threads);
            long start = System.nanoTime();
            Thread.sleep(1000); // a measuring window, not a wait for an event
            long cpu = ioThreadCpuNanos(threads) - before;
            long wall = System.nanoTime() - start;
            assertThat(cpu).as("IO-thread CPU while the request waits in the queue, in %d ms", wall / 1_000_000)
                    .isLessThan(wall / 5);

            agent.abort(); // the draining agent leaves; the request waits for the next one
            try (FrameAgent next = FrameAgent.connect(server.port(), TOKEN)) {
                Frame.Open open = next.next(Frame.Open.class);
                assertThat(open.head().target()).isEqualTo("/later");
                StringBuilder body = new StringBuilder();
                while (true) {
                    Frame.Data d = next.next(Frame.Data.class);
                    body.append(StandardCharsets.ISO_8859_1.decode(d.payload()));
                    if (d.endStream()) {
                        break;
                    }
                }
                assertThat(body).hasToString("0123456789");
                next.send(new Frame.Reply(open.streamId(), new ResponseHead(200, "", Headers.EMPTY), true));
                assertThat(statusLine(c)).isEqualTo("HTTP/1.1 200 OK");
            }
        }
    }

    /** CPU time of the server's XNIO IO threads (all named "... I/O-n"). */
    private static long ioThreadCpuNanos(ThreadMXBean threads) {
        long sum = 0;
        for (var t : threads.dumpAllThreads(false, false)) {
            if (t.getThreadName().contains("I/O")) {
                sum += Math.max(0, threads.getThreadCpuTime(t.getThreadId()));
            }
        }
        return sum;
    }
}
