package io.wstunnel.protocol.legacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wstunnel.protocol.RequestHead;
import io.wstunnel.protocol.ResponseHead;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** Golden tests: the bytes captured from the real Go server and agent (../shared/compat/vectors). */
class LegacyVectorsTest {
    static final Path VECTORS = vectors();

    static Path vectors() {
        // Set by the root pom; in CI the vectors must be there (a silent skip would hide the golden tests).
        Path p = Path.of(System.getProperty("wstunnel.vectors", "../../shared/compat/vectors")).toAbsolutePath().normalize();
        if (!Files.isDirectory(p) && System.getenv("CI") != null) {
            throw new AssertionError("Go wire vectors not found at " + p);
        }
        return p;
    }

    static List<Path> files(String sub, String suffix) throws IOException {
        Path d = VECTORS.resolve(sub);
        Assumptions.assumeTrue(Files.isDirectory(d), "vectors not available at " + d);
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.getFileName().toString().endsWith(suffix)).sorted().toList();
        }
    }

    /** What a parse produced. */
    static final class Parsed implements LegacyMessageParser.Listener {
        int id = -1;
        RequestHead request;
        ResponseHead response;
        String version;
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        boolean ended;
        int bodyCalls;

        @Override
        public void onRequestHead(int id, RequestHead head, String version) {
            this.id = id;
            this.request = head;
            this.version = version;
        }

        @Override
        public void onResponseHead(int id, ResponseHead head, String version) {
            this.id = id;
            this.response = head;
            this.version = version;
        }

        @Override
        public void onBody(ByteBuffer chunk) {
            byte[] b = new byte[chunk.remaining()];
            chunk.get(b);
            body.writeBytes(b);
            bodyCalls++;
        }

        @Override
        public void onEnd() {
            assertThat(ended).as("onEnd once").isFalse();
            ended = true;
        }
    }

    /** Feeds {@code msg} in fragments of pseudo-random sizes (seeded), then ends the message if asked. */
    static Parsed parse(byte[] msg, LegacyMessageParser.Kind kind, long seed, boolean end, java.util.function.IntPredicate head) {
        Parsed out = new Parsed();
        LegacyMessageParser p = new LegacyMessageParser(kind, LegacyMessageParser.DEFAULT_MAX_HEAD_SIZE, head, out);
        Random r = new Random(seed);
        int pos = 0;
        while (pos < msg.length) {
            int n = seed == 0 ? msg.length : 1 + r.nextInt(Math.min(msg.length - pos, 1 + r.nextInt(300)));
            n = Math.min(n, msg.length - pos);
            p.feed(ByteBuffer.wrap(msg, pos, n));
            pos += n;
        }
        if (end) {
            p.endOfMessage();
        }
        return out;
    }

    static Parsed parseBoth(byte[] msg, LegacyMessageParser.Kind kind, java.util.function.IntPredicate head) {
        Parsed whole = parse(msg, kind, 0, true, head);
        for (long seed = 1; seed <= 3; seed++) {
            Parsed frag = parse(msg, kind, seed, true, head);
            assertThat(frag.body.toByteArray()).isEqualTo(whole.body.toByteArray());
            assertThat(frag.request).isEqualTo(whole.request);
            assertThat(frag.response).isEqualTo(whole.response);
        }
        return whole;
    }

    static int headEnd(byte[] msg) {
        for (int i = 0; i + 3 < msg.length; i++) {
            if (msg[i] == '\r' && msg[i + 1] == '\n' && msg[i + 2] == '\r' && msg[i + 3] == '\n') {
                return i + 4;
            }
        }
        throw new AssertionError("no end of head");
    }

    static List<String> headerLines(byte[] msg) {
        String head = new String(msg, 4, headEnd(msg) - 4 - 4, StandardCharsets.ISO_8859_1);
        List<String> lines = new ArrayList<>(List.of(head.split("\r\n")));
        lines.remove(0);
        return lines;
    }

    /** Body bytes as on the wire, de-chunked by a hand-written decoder (independent of the parser). */
    static byte[] expectedBody(byte[] msg, boolean chunked, long contentLength) {
        int start = headEnd(msg);
        if (!chunked) {
            int n = contentLength >= 0 ? (int) contentLength : msg.length - start;
            byte[] b = new byte[n];
            System.arraycopy(msg, start, b, 0, n);
            return b;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String rest = new String(msg, start, msg.length - start, StandardCharsets.ISO_8859_1);
        int i = 0;
        while (true) {
            int eol = rest.indexOf("\r\n", i);
            int size = Integer.parseInt(rest.substring(i, eol).split(";")[0].trim(), 16);
            i = eol + 2;
            if (size == 0) {
                break;
            }
            out.writeBytes(rest.substring(i, i + size).getBytes(StandardCharsets.ISO_8859_1));
            i += size + 2;
        }
        return out.toByteArray();
    }

    static String header(List<String> lines, String name) {
        for (String l : lines) {
            int c = l.indexOf(':');
            if (c > 0 && l.substring(0, c).equalsIgnoreCase(name)) {
                return l.substring(c + 1).trim();
            }
        }
        return null;
    }

    @Test
    void everyRequestTheGoServerSentParses() throws Exception {
        List<Path> all = new ArrayList<>(files("srv-to-agent", ".bin"));
        all.addAll(files("e2e/messages", ".bin").stream().filter(p -> p.getFileName().toString().startsWith("srv-to-cli")).toList());
        all.addAll(files("agent-to-srv", ".request.bin").stream()
                .filter(p -> !p.getFileName().toString().startsWith("19-")).toList());
        assertThat(all).hasSizeGreaterThan(60);
        for (Path f : all) {
            byte[] msg = Files.readAllBytes(f);
            Parsed p = parseBoth(msg, LegacyMessageParser.Kind.REQUEST, null);
            String line0 = new String(msg, 4, headEnd(msg) - 4, StandardCharsets.ISO_8859_1).split("\r\n")[0];
            String[] parts = line0.split(" ");
            assertThat(p.id).as(f.toString()).isEqualTo(Integer.parseInt(new String(msg, 0, 4, StandardCharsets.US_ASCII), 16));
            assertThat(p.request.method()).as(f.toString()).isEqualTo(parts[0]);
            assertThat(p.request.target()).as(f.toString()).isEqualTo(parts[1]);
            assertThat(p.version).isEqualTo(parts[2]);
            List<String> lines = headerLines(msg);
            assertThat(p.request.authority()).isEqualTo(header(lines, "Host"));
            assertThat(p.request.headers().size()).as(f.toString()).isEqualTo(lines.size() - 1);
            for (String l : lines) {
                int c = l.indexOf(':');
                String name = l.substring(0, c);
                if (!name.equals("Host")) {
                    assertThat(p.request.headers().all(name)).as(f + " " + name).contains(l.substring(c + 1).trim());
                }
            }
            boolean chunked = "chunked".equals(header(lines, "Transfer-Encoding"));
            String cl = header(lines, "Content-Length");
            long length = chunked ? -1 : cl == null ? 0 : Long.parseLong(cl);
            assertThat(p.body.toByteArray()).as(f.toString()).isEqualTo(expectedBody(msg, chunked, length));
            assertThat(p.ended).isTrue();
        }
    }

    @Test
    void specificRequestBodies() throws Exception {
        Parsed put = parseBoth(read("srv-to-agent/07-put-chunked.bin"), LegacyMessageParser.Kind.REQUEST, null);
        assertThat(put.body.toString(StandardCharsets.ISO_8859_1)).isEqualTo("hello chunked body");
        Parsed post = parseBoth(read("srv-to-agent/12-post-200k.bin"), LegacyMessageParser.Kind.REQUEST, null);
        assertThat(post.body.size()).isEqualTo(204_800);
        assertThat(sha256(post.body.toByteArray())).isEqualTo("6f2ca2bfe82e57c0ca73ee2469df0d89e2825a05a91a06ccd867835b028f7bb6");
        Parsed utf8 = parseBoth(read("srv-to-agent/13-utf8-header.bin"), LegacyMessageParser.Kind.REQUEST, null);
        assertThat(utf8.request.headers().first("X-Latin1")).isEqualTo("caf\u00e9");
        Parsed upper = parseBoth(read("agent-to-srv/16-request-id-uppercase-hex.request.bin"), LegacyMessageParser.Kind.REQUEST, null);
        assertThat(upper.id).isEqualTo(0xab);
        Parsed empty = parseBoth(read("srv-to-agent/48-empty-header-value.bin"), LegacyMessageParser.Kind.REQUEST, null);
        assertThat(empty.request.headers().first("X-Empty")).isEqualTo("");
        Parsed http10 = parseBoth(read("agent-to-srv/17-request-http10-line.request.bin"), LegacyMessageParser.Kind.REQUEST, null);
        assertThat(http10.version).isEqualTo("HTTP/1.0");
    }

    @Test
    void garbageRequestIsATypedError() throws Exception {
        byte[] msg = read("agent-to-srv/19-garbage-request.request.bin");
        assertThatThrownBy(() -> parse(msg, LegacyMessageParser.Kind.REQUEST, 0, true, null))
                .isInstanceOf(LegacyProtocolException.class)
                .satisfies(e -> assertThat(((LegacyProtocolException) e).id()).isEqualTo(0xfff));
    }

    @Test
    void everyResponseTheGoAgentSentParses() throws Exception {
        List<Path> all = new ArrayList<>(files("agent-to-srv", ".bin").stream()
                .filter(p -> !p.getFileName().toString().endsWith(".request.bin") && !p.getFileName().toString().contains("first4k"))
                .toList());
        all.addAll(files("e2e/messages", ".bin").stream().filter(p -> p.getFileName().toString().startsWith("cli-to-srv")
                && !p.getFileName().toString().contains("first4k")).toList());
        all.addAll(files("srv-to-caller", ".bin").stream().filter(p -> !p.getFileName().toString().startsWith("20-")).toList());
        assertThat(all).hasSizeGreaterThan(40);
        for (Path f : all) {
            byte[] msg = Files.readAllBytes(f);
            String name = f.getFileName().toString();
            boolean head = name.contains("head") || name.equals("cli-to-srv-06-id0006.bin"); // answers to HEAD
            Parsed p = parseBoth(msg, LegacyMessageParser.Kind.RESPONSE, id -> head);
            String line0 = new String(msg, 4, headEnd(msg) - 4, StandardCharsets.ISO_8859_1).split("\r\n")[0];
            assertThat(p.id).as(name).isEqualTo(Integer.parseInt(new String(msg, 0, 4, StandardCharsets.US_ASCII), 16));
            assertThat(p.response.status()).as(name).isEqualTo(Integer.parseInt(line0.substring(9, 12)));
            assertThat(p.version).isEqualTo(line0.substring(0, 8));
            List<String> lines = headerLines(msg);
            assertThat(p.response.headers().size()).as(name).isEqualTo(lines.size());
            boolean chunked = "chunked".equals(header(lines, "Transfer-Encoding"));
            String cl = header(lines, "Content-Length");
            int status = p.response.status();
            byte[] expected = head || status == 204 || status == 304 ? new byte[0]
                    : expectedBody(msg, chunked, chunked || cl == null ? -1 : Long.parseLong(cl));
            assertThat(p.body.toByteArray()).as(name).isEqualTo(expected);
            assertThat(p.ended).isTrue();
        }
    }

    @Test
    void specificResponses() throws Exception {
        Parsed unframed = parseBoth(read("agent-to-srv/07-no-accept-encoding-gzip-backend.bin"), LegacyMessageParser.Kind.RESPONSE, null);
        assertThat(unframed.body.size()).isEqualTo(900);
        Parsed eof = parseBoth(read("srv-to-caller/17-reply-unframed-64k.reply.bin"), LegacyMessageParser.Kind.RESPONSE, null);
        assertThat(eof.body.size()).isEqualTo(65_536);
        Parsed chunked = parseBoth(read("srv-to-caller/02-get-xhost.reply.bin"), LegacyMessageParser.Kind.RESPONSE, null);
        assertThat(chunked.body.toString(StandardCharsets.ISO_8859_1)).isEqualTo("hello chunked!");
        assertThat(chunked.response.status()).isEqualTo(201);
        Parsed http10 = parseBoth(read("srv-to-caller/15-http10-caller.reply.bin"), LegacyMessageParser.Kind.RESPONSE, null);
        assertThat(http10.version).isEqualTo("HTTP/1.0");
        assertThat(http10.body.size()).isEqualTo(38);
        Parsed custom = parseBoth(read("srv-to-caller/18-reply-custom-status.reply.bin"), LegacyMessageParser.Kind.RESPONSE, null);
        assertThat(custom.response.status()).isEqualTo(299);
        assertThat(custom.response.reason()).isEqualTo("Whatever Reason");
        Parsed head = parseBoth(read("srv-to-caller/08-head.reply.bin"), LegacyMessageParser.Kind.RESPONSE, id -> true);
        assertThat(head.body.size()).isZero();
        assertThat(head.response.headers().first("Content-Length")).isEqualTo("1234");
        Parsed upper = parseBoth(read("srv-to-caller/19-reply-orphan-then-uppercase-id.reply-2.bin"), LegacyMessageParser.Kind.RESPONSE, null);
        assertThat(upper.id).isEqualTo(0x13);
    }

    @Test
    void oneMebibyteResponseIsStreamedAsItArrives() throws Exception {
        for (String f : List.of("agent-to-srv/09-1mib-response.first4k.bin", "e2e/messages/cli-to-srv-10-id000a.first4k.bin")) {
            byte[] msg = read(f);
            Parsed p = parse(msg, LegacyMessageParser.Kind.RESPONSE, 7, false, null);
            assertThat(p.response.status()).isEqualTo(200);
            assertThat(p.response.headers().first("Content-Length")).isEqualTo("1048576");
            assertThat(p.body.size()).isEqualTo(msg.length - headEnd(msg));
            assertThat(p.bodyCalls).isGreaterThan(1);
            assertThat(p.ended).isFalse();
            assertThat(p.body.toString(StandardCharsets.ISO_8859_1)).startsWith("big-body line 0000000 ABCDEFGHIJKLMNOPQRSTUVWXYZ\n");
            // the message ending early is a typed error
            assertThatThrownBy(() -> parse(msg, LegacyMessageParser.Kind.RESPONSE, 0, true, null))
                    .isInstanceOf(LegacyProtocolException.class)
                    .extracting(e -> ((LegacyProtocolException) e).kind()).isEqualTo(LegacyProtocolException.Kind.TRUNCATED);
        }
    }

    @Test
    void malformedReplyIsATypedError() throws Exception {
        byte[] msg = read("srv-to-caller/20-reply-malformed.reply.bin");
        assertThatThrownBy(() -> parse(msg, LegacyMessageParser.Kind.RESPONSE, 0, true, null))
                .isInstanceOf(LegacyProtocolException.class)
                .satisfies(e -> {
                    assertThat(((LegacyProtocolException) e).id()).isEqualTo(0x14);
                    assertThat(((LegacyProtocolException) e).kind()).isEqualTo(LegacyProtocolException.Kind.MALFORMED_HEAD);
                });
    }

    /** Our serializer, given what the Go server received from the caller, writes what it wrote. */
    @Test
    void serializerReproducesTheGoServersMessages() throws Exception {
        int exact = 0;
        for (Path f : files("srv-to-agent", ".bin")) {
            byte[] msg = Files.readAllBytes(f);
            Parsed p = parse(msg, LegacyMessageParser.Kind.REQUEST, 0, true, null);
            List<String> lines = headerLines(msg);
            boolean chunked = "chunked".equals(header(lines, "Transfer-Encoding"));
            String cl = header(lines, "Content-Length");
            byte[] body = p.body.toByteArray();
            LegacyWriter.BodyFraming framing = chunked ? LegacyWriter.BodyFraming.CHUNKED
                    : cl != null && body.length > 0 ? LegacyWriter.BodyFraming.LENGTH : LegacyWriter.BodyFraming.NONE;
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(bytes(LegacyWriter.requestHead(p.id, p.request, framing, body.length)));
            if (chunked) {
                out.writeBytes(bytes(LegacyWriter.chunk(ByteBuffer.wrap(body))));
                out.writeBytes(bytes(LegacyWriter.lastChunk()));
            } else {
                out.writeBytes(body);
            }
            byte[] ours = out.toByteArray();
            // Semantically equal: parsing ours gives the same head and body.
            Parsed back = parse(ours, LegacyMessageParser.Kind.REQUEST, 0, true, null);
            assertThat(back.id).isEqualTo(p.id);
            assertThat(back.request.method()).isEqualTo(p.request.method());
            assertThat(back.request.target()).isEqualTo(p.request.target());
            assertThat(back.request.authority()).isEqualTo(p.request.authority());
            assertThat(back.body.toByteArray()).isEqualTo(body);
            assertThat(sortedLines(ours)).as(f.toString()).isEqualTo(sortedLines(msg));
            // Go's order (Host, User-Agent, framing, sorted rest) is reproduced byte for byte, except where
            // Go put a caller's HTTP/1.0 "Connection: close" in the framing slot.
            if (!f.getFileName().toString().startsWith("15-")) {
                assertThat(new String(ours, StandardCharsets.ISO_8859_1)).as(f.toString())
                        .isEqualTo(new String(msg, StandardCharsets.ISO_8859_1));
                exact++;
            }
        }
        assertThat(exact).isGreaterThan(30);
    }

    @Test
    void userAgentIsInsertedAndNamesCanonicalised() {
        RequestHead h = new RequestHead("POST", "/x", "h:1", "http",
                io.wstunnel.protocol.Headers.of("x-multi", "a", "accept", "*/*", "X-MULTI", "b"));
        String s = StandardCharsets.ISO_8859_1.decode(LegacyWriter.requestHead(0x7cff, h, LegacyWriter.BodyFraming.NONE, 0)).toString();
        assertThat(s).isEqualTo("7cffPOST /x HTTP/1.1\r\nHost: h:1\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: 0\r\n"
                + "Accept: */*\r\nX-Multi: a\r\nX-Multi: b\r\n\r\n");
        assertThat(LegacyIds.next(31999)).isZero();
        assertThat(LegacyIds.next(0)).isEqualTo(1);
    }

    @Test
    void headCapIsATypedError() {
        String big = "0001GET / HTTP/1.1\r\nX-Big: " + "a".repeat(70_000) + "\r\n\r\n";
        assertThatThrownBy(() -> parse(big.getBytes(StandardCharsets.ISO_8859_1), LegacyMessageParser.Kind.REQUEST, 5, true, null))
                .isInstanceOf(LegacyProtocolException.class)
                .extracting(e -> ((LegacyProtocolException) e).kind()).isEqualTo(LegacyProtocolException.Kind.HEAD_TOO_LARGE);
    }

    static List<String> sortedLines(byte[] msg) {
        List<String> l = new ArrayList<>(headerLines(msg));
        l.removeIf(s -> s.equals("Connection: close"));
        l.sort(null);
        return l;
    }

    static byte[] read(String rel) throws IOException {
        Path p = VECTORS.resolve(rel);
        Assumptions.assumeTrue(Files.exists(p), "vector missing: " + p);
        return Files.readAllBytes(p);
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
