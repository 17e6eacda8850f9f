package io.wstunnel.srv.legacy;

import static org.assertj.core.api.Assertions.assertThat;

import io.wstunnel.srv.RawCaller;
import io.wstunnel.srv.ServerPerTest;
import org.junit.jupiter.api.Test;

/**
 * A legacy agent's response is one message parsed as HTTP/1.1 (as the Go server does): a body short
 * of its Content-Length never looks complete to a raw-socket caller, and bytes after it are not part
 * of the response, which ends at its Content-Length with the caller's connection kept.
 */
class LegacyResponseLengthTest extends ServerPerTest {
    static final String TOKEN = "legacy-length-0123456789";

    @Test
    void aResponseWithoutItsAnnouncedBodyIs506() throws Exception {
        try (LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN);
             RawCaller caller = new RawCaller(server.port())) {
            caller.request("GET", "/empty", TOKEN);
            agent.reply(agent.next().idText(), "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
            assertThat(caller.head()).startsWith("HTTP/1.1 506 ").contains("Content-Length: 0\r\n");
            serveNext(agent, caller);
        }
    }

    @Test
    void aBodyShortOfItsContentLengthBreaksTheResponse() throws Exception {
        try (LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN);
             RawCaller caller = new RawCaller(server.port())) {
            caller.request("GET", "/short", TOKEN);
            agent.reply(agent.next().idText(), "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
            String all = caller.untilClosed();
            assertThat(all).startsWith("HTTP/1.1 200 ").contains("Content-Length: 10\r\n");
            assertThat(all.substring(all.indexOf("\r\n\r\n") + 4).length()).isLessThan(10);
        }
    }

    @Test
    void bytesAfterTheContentLengthAreNotPartOfTheResponse() throws Exception {
        try (LegacyTestAgent agent = LegacyTestAgent.connect(server.port(), TOKEN);
             RawCaller caller = new RawCaller(server.port())) {
            caller.request("GET", "/long", TOKEN);
            agent.reply(agent.next().idText(), "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello world");
            assertThat(caller.head()).startsWith("HTTP/1.1 200 ").contains("Content-Length: 5\r\n");
            assertThat(caller.body(5)).isEqualTo("hello");
            serveNext(agent, caller);
        }
    }

    private static void serveNext(LegacyTestAgent agent, RawCaller caller) throws Exception {
        caller.request("GET", "/next", TOKEN);
        agent.reply(agent.next().idText(), "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext");
        assertThat(caller.head()).startsWith("HTTP/1.1 200 ").contains("Content-Length: 4\r\n");
        assertThat(caller.body(4)).isEqualTo("next");
    }
}
