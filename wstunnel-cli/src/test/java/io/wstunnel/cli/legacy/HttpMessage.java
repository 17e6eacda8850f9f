package io.wstunnel.cli.legacy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** Test-only reading of one legacy message (id + HTTP/1.x head + body), independent of the production codec. */
record HttpMessage(String id, String startLine, List<String[]> headers, byte[] body) {

    static HttpMessage parse(byte[] m) throws IOException {
        String id = new String(m, 0, 4, StandardCharsets.ISO_8859_1);
        int end = -1;
        for (int i = 4; i + 3 < m.length; i++) {
            if (m[i] == '\r' && m[i + 1] == '\n' && m[i + 2] == '\r' && m[i + 3] == '\n') {
                end = i;
                break;
            }
        }
        if (end < 0) {
            throw new IOException("no end of head in " + new String(m, StandardCharsets.ISO_8859_1));
        }
        String[] lines = new String(m, 4, end - 4, StandardCharsets.ISO_8859_1).split("\r\n");
        List<String[]> headers = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            headers.add(new String[] {lines[i].substring(0, c), lines[i].substring(c + 1).trim()});
        }
        byte[] rest = Arrays.copyOfRange(m, end + 4, m.length);
        HttpMessage msg = new HttpMessage(id, lines[0], headers, rest);
        String te = msg.header("Transfer-Encoding");
        String cl = msg.header("Content-Length");
        if (te != null && te.contains("chunked")) {
            rest = VectorBackend.readChunked(new ByteArrayInputStream(rest));
        } else if (cl != null && !lines[0].startsWith("HEAD")) {
            rest = Arrays.copyOf(rest, (int) Math.min(rest.length, Long.parseLong(cl)));
        }
        return new HttpMessage(id, lines[0], headers, rest);
    }

    String header(String name) {
        for (String[] h : headers) {
            if (h[0].equalsIgnoreCase(name)) {
                return h[1];
            }
        }
        return null;
    }

    int status() {
        return Integer.parseInt(startLine.split(" ")[1]);
    }

    /** "name: value" lines, lowercase names, minus those that legitimately differ (framing, hop-by-hop, Date). */
    List<String> comparableHeaders(String... alsoIgnore) {
        List<String> ignore = new ArrayList<>(List.of("date", "connection", "keep-alive", "transfer-encoding",
                "content-length", "server", "www-authenticate"));
        for (String s : alsoIgnore) {
            ignore.add(s.toLowerCase(Locale.ROOT));
        }
        List<String> out = new ArrayList<>();
        for (String[] h : headers) {
            String n = h[0].toLowerCase(Locale.ROOT);
            if (!ignore.contains(n)) {
                out.add(n + ": " + h[1]);
            }
        }
        out.sort(null);
        return out;
    }

    String text() {
        return new String(body, StandardCharsets.UTF_8);
    }
}
