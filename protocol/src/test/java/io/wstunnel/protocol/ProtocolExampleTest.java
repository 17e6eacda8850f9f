package io.wstunnel.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The worked example of PROTOCOL.md §9 must be exactly what the codec produces. */
class ProtocolExampleTest {

    static final List<Frame> EXAMPLE = List.of(
            new Frame.Hello(Settings.DEFAULT),
            new Frame.Hello(Settings.DEFAULT),
            new Frame.Open(1, StreamKind.HTTP, new RequestHead("GET", "/hello", "srv.example:8080", "http",
                    Headers.of("X-Forwarded-For", "203.0.113.7",
                            "X-Forwarded-Proto", "http",
                            "X-Forwarded-Host", "srv.example:8080")), true),
            new Frame.Reply(1, new ResponseHead(200, "OK", Headers.of("Content-Length", "2")), false),
            new Frame.Data(1, ByteBuffer.wrap("hi".getBytes(StandardCharsets.US_ASCII)), true));

    /** The second block of §9: the same exchange toward a server that announced REPLY_BODY. */
    static final List<Frame> WITH_REPLY_BODY = List.of(
            new Frame.Hello(Settings.DEFAULT.withReplyBody(true)),
            new Frame.Reply(1, new ResponseHead(200, "OK", Headers.of("Content-Length", "2")), true,
                    ByteBuffer.wrap("hi".getBytes(StandardCharsets.US_ASCII))));

    /** The messages of the {@code block}-th code block (from 0) of §9. */
    static List<String> exampleMessagesFromDoc(int block) throws IOException {
        Path doc = Path.of(System.getProperty("basedir", "."), "PROTOCOL.md");
        String text = Files.readString(doc, StandardCharsets.UTF_8);
        int section = text.indexOf("## 9. Example");
        assertThat(section).as("§9 in " + doc).isPositive();
        int open = text.indexOf("```\n", section);
        for (int b = 0; b < block; b++) {
            open = text.indexOf("```\n", text.indexOf("```", open + 4) + 3);
            assertThat(open).as("code block %d of §9", block).isPositive();
        }
        int close = text.indexOf("```", open + 4);
        List<String> messages = new ArrayList<>();
        StringBuilder current = null;
        for (String line : text.substring(open + 4, close).split("\n")) {
            if (line.startsWith("#")) {
                if (current != null) {
                    messages.add(current.toString());
                }
                current = new StringBuilder();
            } else if (!line.isBlank()) {
                assertThat(current).as("bytes before the first # line").isNotNull();
                current.append(line).append('\n');
            }
        }
        if (current != null) {
            messages.add(current.toString());
        }
        return messages;
    }

    @Test
    void docExampleBytesAreWhatTheCodecProduces() throws IOException {
        checkBlock(0, EXAMPLE, Settings.DEFAULT);
    }

    @Test
    void replyBodyExampleBytesAreWhatTheCodecProduces() throws IOException {
        checkBlock(1, WITH_REPLY_BODY, Settings.DEFAULT.withReplyBody(true));
    }

    /** Code block {@code block} of §9 holds exactly the encodings of {@code frames}, in order. */
    private static void checkBlock(int block, List<Frame> frames, Settings receiver) throws IOException {
        List<String> messages = exampleMessagesFromDoc(block);
        assertThat(messages).hasSameSizeAs(frames);
        for (int i = 0; i < frames.size(); i++) {
            Frame f = frames.get(i);
            byte[] doc = Hex.parse(messages.get(i));
            assertThat(Hex.hex(doc)).as("message %d (%s) of block %d in PROTOCOL.md §9", i + 1, f.type(), block + 1)
                    .isEqualTo(Hex.hex(FrameCodec.encode(f)));
            assertThat(FrameCodec.decode(ByteBuffer.wrap(doc), receiver)).isEqualTo(f);
        }
    }

    @Test
    void hexNotationParser() {
        assertThat(Hex.parse("01 0a ff \"hi\" ; \"ignored\" 00\n 0203")).containsExactly(1, 10, 255, 'h', 'i', 2, 3);
        assertThat(Hex.parse("")).isEmpty();
        assertThat(Hex.parse("\"é\"")).containsExactly(0xc3, 0xa9);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Hex.parse("zz")).isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Hex.parse("abc")).isInstanceOf(IllegalArgumentException.class);
    }
}
