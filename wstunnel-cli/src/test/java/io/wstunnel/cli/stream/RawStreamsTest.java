package io.wstunnel.cli.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.cli.local.Target;
import io.wstunnel.protocol.Headers;
import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.StreamKind;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RawStreamsTest {

    @Test
    void kinds() {
        assertThat(RawStreams.supports(StreamKind.WEBSOCKET)).isTrue();
        assertThat(RawStreams.supports(StreamKind.TCP)).isTrue();
        assertThat(RawStreams.supports(StreamKind.HTTP)).isFalse();
    }

    @Test
    void tcpTargets() {
        assertThat(RawStreams.parseTcpTargets(List.of("ssh=127.0.0.1:22", "pg=db:5432")))
                .isEqualTo(Map.of("ssh", "127.0.0.1:22", "pg", "db:5432"));
        assertThatThrownBy(() -> RawStreams.parseTcpTargets(List.of("x=h:70000"))).hasMessageContaining("range");
        assertThat(RawStreams.HostPort.parse("[::1]:22")).isEqualTo(new RawStreams.HostPort("[::1]", 22));
    }

    @Test
    void upgradeRequestCarriesTheCallersHandshakeHeaders() {
        RequestHead head = new RequestHead("GET", "/ws?room=1", "srv.example", "https", Headers.of(
                "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version", "13",
                "Sec-WebSocket-Protocol", "chat.v2", "Sec-WebSocket-Extensions", "permessage-deflate",
                "Origin", "https://app.example", "Cookie", "a=b", "X-Host", "http://other", "Connection", "Upgrade",
                "X-Evil", "a\r\nInjected: yes"));
        Target.Forward f = (Target.Forward) Target.resolve(null, java.net.URI.create("http://127.0.0.1:8080/base"), null,
                head.target());
        String req = RawStreams.requestHead(head, f, 8080, false);
        assertThat(req).startsWith("GET /base/ws?room=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n")
                .contains("Upgrade: websocket\r\nConnection: Upgrade\r\n")
                .contains("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n").contains("Sec-WebSocket-Protocol: chat.v2\r\n")
                .contains("Sec-WebSocket-Extensions: permessage-deflate\r\n").contains("Origin: https://app.example\r\n")
                .contains("Cookie: a=b\r\n").doesNotContain("X-Host").doesNotContain("Injected").endsWith("\r\n\r\n");
    }

    @Test
    void responseHeadAndLeftoverBytes() throws Exception {
        byte[] wire = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\u0081\u0002hi").getBytes(StandardCharsets.ISO_8859_1);
        UpgradeResponse r = UpgradeResponse.read(new ByteArrayInputStream(wire));
        assertThat(r.status).isEqualTo(101);
        assertThat(r.reason).isEqualTo("Switching Protocols");
        assertThat(r.headers.withoutHopByHop().first("Sec-WebSocket-Accept")).isEqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assertThat(r.headers.withoutHopByHop().contains("Upgrade")).isFalse();
        assertThat(r.rest.remaining()).isEqualTo(4);
    }

    @Test
    void refusalBodies() throws Exception {
        UpgradeResponse cl = UpgradeResponse.read(new ByteArrayInputStream(
                "HTTP/1.1 403 Forbidden\r\nContent-Length: 5\r\n\r\nnope!extra".getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(new String(cl.readBody(new ByteArrayInputStream(new byte[0])), StandardCharsets.UTF_8)).isEqualTo("nope!");
        UpgradeResponse chunked = UpgradeResponse.read(new ByteArrayInputStream(
                "HTTP/1.1 400 Bad\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n".getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(new String(chunked.readBody(new ByteArrayInputStream("2;x=y\r\nde\r\n0\r\n\r\n".getBytes(
                StandardCharsets.ISO_8859_1))), StandardCharsets.UTF_8)).isEqualTo("abcde");
        assertThatThrownBy(() -> UpgradeResponse.read(new ByteArrayInputStream("SSH-2.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII))))
                .hasMessageContaining("not an HTTP/1.x response");
    }
}
