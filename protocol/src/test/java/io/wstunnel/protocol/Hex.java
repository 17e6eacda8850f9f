package io.wstunnel.protocol;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The byte notation of PROTOCOL.md: hex digits (spaces only for reading), {@code "text"} for the
 * UTF-8 bytes of the text, {@code ;} starts a comment running to the end of the line.
 */
final class Hex {
    private static final Pattern TOKEN = Pattern.compile("\"([^\"]*)\"|[0-9a-fA-F]+");

    private Hex() {
    }

    static byte[] parse(String notation) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String line : notation.split("\n")) {
            int comment = line.indexOf(';');
            String code = comment < 0 ? line : line.substring(0, comment);
            Matcher m = TOKEN.matcher(code);
            int at = 0;
            while (m.find()) {
                if (!code.substring(at, m.start()).isBlank()) {
                    throw new IllegalArgumentException("bad notation near: " + code.substring(at));
                }
                at = m.end();
                if (m.group(1) != null) {
                    out.writeBytes(m.group(1).getBytes(StandardCharsets.UTF_8));
                } else {
                    out.writeBytes(HexFormat.of().parseHex(m.group()));
                }
            }
            if (!code.substring(at).isBlank()) {
                throw new IllegalArgumentException("bad notation near: " + code.substring(at));
            }
        }
        return out.toByteArray();
    }

    static ByteBuffer buf(String notation) {
        return ByteBuffer.wrap(parse(notation));
    }

    static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    static String hex(ByteBuffer b) {
        return HexFormat.of().formatHex(bytes(b));
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }
}
